import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The major of the @nestjs/core this suite loaded (compat/nest12-suite maps it to Nest 12). */
function loadedNestMajor(): string {
  let dir = dirname(require.resolve('@nestjs/core'));
  while (!dir.endsWith(join('@nestjs', 'core'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version.split('.')[0];
}

describe('the Nest this suite runs on', () => {
  it('is the one the run asked for (EXPECT_NEST_MAJOR, else the workspace’s Nest 11)', async () => {
    expect(loadedNestMajor()).toBe(process.env.EXPECT_NEST_MAJOR ?? '11');
    @Module({})
    class EmptyModule {}
    const app = await NestFactory.createApplicationContext(EmptyModule, { logger: false });
    await app.close();
  });
});
