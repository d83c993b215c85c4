import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { ADMIN_KEY, AdminKey } from './admin/admin-key';
import { DEMO_KEYS } from './keys/demo-keys';
import { validateEnv } from './config/env.validation';

async function bootstrap(): Promise<void> {
  const env = validateEnv(process.env);
  const module = AppModule.register();
  const app = env.PLATFORM === 'fastify' ? await NestFactory.create(module, new FastifyAdapter()) : await NestFactory.create(module);
  app.enableShutdownHooks();
  const port = env.PORT ?? 3000;
  await app.listen(port, '127.0.0.1');
  const logger = new Logger('Gateway');
  logger.log(`Listening on http://127.0.0.1:${port} (${env.REDIS_URL ? 'Redis' : 'in-memory'} budgets)`);
  const adminKey = app.get<AdminKey>(ADMIN_KEY);
  logger.log(adminKey.generated ? `Admin key: ${adminKey.value} (generated for this run; set ADMIN_KEY to choose one)` : 'Admin key: the ADMIN_KEY variable');
  logger.log(`Demo keys: ${Object.keys(DEMO_KEYS).join(', ')} (sk-demo-alice on the free tier, sk-demo-bob on pro)`);
  logger.log(
    `Try: curl -s http://127.0.0.1:${port}/v1/chat/completions -H 'Authorization: Bearer sk-demo-alice' -H 'Content-Type: application/json' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":50}'`,
  );
  logger.log(
    `Streamed: curl -sN http://127.0.0.1:${port}/v1/chat/completions -H 'Authorization: Bearer sk-demo-alice' -H 'Content-Type: application/json' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":50,"stream":true,"stream_options":{"include_usage":true}}'`,
  );
}

bootstrap().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
