import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule, GatewayModuleOptions } from './app.module';
import { DEFAULT_MAX_BODY_BYTES, validateEnv } from './config/env.validation';

/** How to build the gateway; every field is optional (the environment decides the rest). */
export interface GatewayOptions extends GatewayModuleOptions {
  /**
   * HTTP platform.
   * @default the `PLATFORM` variable, else 'express'
   * @example 'fastify'
   */
  platform?: 'express' | 'fastify';
  /**
   * Nest logger, or `false` for none.
   * @default Nest's console logger
   * @example ['error', 'warn']
   */
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * The gateway app as `main.ts` runs it (not yet listening): the platform, the request body limit
 * (`MAX_BODY_BYTES`, 413 over it; a body that is not JSON is a 400, both as JSON errors by
 * `ApiErrorFilter`), shutdown hooks.
 * Throws, naming the variable or the file, when the environment or the budget config file is bad.
 */
export async function createGateway(options: GatewayOptions = {}): Promise<INestApplication> {
  const env = validateEnv(process.env);
  const platform = options.platform ?? env.PLATFORM ?? 'express';
  const bodyLimit = env.MAX_BODY_BYTES ?? DEFAULT_MAX_BODY_BYTES;
  const module = AppModule.register(options);
  // a boot error (a bad config file) is thrown to the caller, which prints it, rather than exiting here
  const appOptions = { abortOnError: false, ...(options.logger === undefined ? {} : { logger: options.logger }) };
  let app: INestApplication;
  if (platform === 'fastify') {
    app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter({ bodyLimit }), appOptions);
  } else {
    const express = await NestFactory.create<NestExpressApplication>(module, appOptions);
    express.useBodyParser('json', { limit: bodyLimit });
    express.useBodyParser('urlencoded', { limit: bodyLimit, extended: true });
    app = express;
  }
  app.enableShutdownHooks();
  return app;
}
