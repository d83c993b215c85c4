import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { ADMIN_KEY, AdminKey } from './admin/admin-key';
import { AppModule, GatewayModuleOptions } from './app.module';
import { ExpressBodyModule } from './body/express-body.module';
import { DEFAULT_MAX_BODY_BYTES, GatewayEnv, validateEnv } from './config/env.validation';
import { applyServerLimits, serverLimitsOf } from './config/server-limits';
import { GracefulShutdown } from './shutdown/graceful-shutdown';

/** How to build the gateway; every field is optional (the environment decides the rest). */
export interface GatewayOptions extends GatewayModuleOptions {
  /**
   * HTTP platform.
   * @default the `PLATFORM` variable, else 'express'
   * @example 'fastify'
   */
  platform?: 'express' | 'fastify';
  /**
   * Nest's own logger, or `false` for none. Request logs come from pino either way (JSON lines,
   * human-readable on a terminal; `log` option, `LOG_LEVEL`).
   * @default the pino logger
   * @example ['error', 'warn']
   */
  logger?: LoggerService | LogLevel[] | false;
  /**
   * Keep Nest's start-up log lines (modules, routes, seeded keys) buffered until
   * `app.flushLogs()`, so the start-up banner is printed before them. Only with the default logger.
   * @default false
   * @example true
   */
  holdStartupLogs?: boolean;
}

/**
 * The gateway app as `main.ts` runs it (not yet listening): the platform, the request body limit
 * (`MAX_BODY_BYTES`, 413 over it; a body that is not JSON is a 400, both as JSON errors by
 * `ApiErrorFilter`), the server's timeouts and connection cap (`HTTP_*`, see `server-limits.ts`), logs through pino (human-readable on a terminal, JSON otherwise). Signals are left to {@link installGracefulShutdown}.
 * Throws, naming the variable or the file, when the environment or the budget config file is bad.
 */
export async function createGateway(options: GatewayOptions = {}): Promise<INestApplication> {
  const env = validateEnv(process.env);
  const platform = options.platform ?? env.PLATFORM ?? 'express';
  const bodyLimit = env.MAX_BODY_BYTES ?? DEFAULT_MAX_BODY_BYTES;
  const module = AppModule.register(options);
  if (platform === 'express') module.imports = [...(module.imports ?? []), ExpressBodyModule.register(bodyLimit)];
  // a boot error (a bad config file) is thrown to the caller, which prints it, rather than exiting here
  const appOptions = {
    abortOnError: false,
    ...(options.logger === undefined ? { bufferLogs: true, autoFlushLogs: options.holdStartupLogs !== true } : { logger: options.logger }),
  };
  let app: INestApplication;
  if (platform === 'fastify') {
    app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter({ bodyLimit }), appOptions);
  } else {
    // body parsers as middleware after the request logger's (ExpressBodyModule), not before it
    app = await NestFactory.create<NestExpressApplication>(module, { ...appOptions, bodyParser: false });
  }
  applyServerLimits(app.getHttpServer(), serverLimitsOf(env));
  if (options.logger === undefined) app.useLogger(app.get(Logger));
  // no enableShutdownHooks(): Nest's signal listeners close the app at once and re-raise the signal;
  // main.ts installs GracefulShutdown, which drains and settles first, then closes and exits 0
  return app;
}

/** On SIGTERM / SIGINT: drain in-flight requests within `SHUTDOWN_TIMEOUT_MS`, settle their reservations, exit 0. Call after `listen`. */
export function installGracefulShutdown(app: INestApplication, env: GatewayEnv): GracefulShutdown {
  return new GracefulShutdown(app, { timeoutMs: env.SHUTDOWN_TIMEOUT_MS ?? 10_000, logger: app.get(Logger) }).install();
}

/** The admin key in force (given, from `ADMIN_KEY`, or generated at boot). */
export function adminKeyOf(app: INestApplication): AdminKey {
  return app.get<AdminKey>(ADMIN_KEY);
}
