import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule, GatewayModuleOptions } from './app.module';
import { GatewayEnv } from './config/env.validation';
import { ADMIN_KEY } from './dashboard/admin-key';
import { GracefulShutdown } from './shutdown/graceful-shutdown';

/** The gateway app as `main.ts` runs it: platform from the environment, JSON logs through pino. */
export async function createGateway(env: GatewayEnv, options: GatewayModuleOptions = {}): Promise<INestApplication> {
  const module = AppModule.register(options);
  const app = env.PLATFORM === 'fastify' ? await NestFactory.create(module, new FastifyAdapter(), { bufferLogs: true }) : await NestFactory.create(module, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  return app;
}

/** On SIGTERM / SIGINT: drain in-flight requests within `SHUTDOWN_TIMEOUT_MS`, settle their reservations, exit 0. */
export function installGracefulShutdown(app: INestApplication, env: GatewayEnv): GracefulShutdown {
  return new GracefulShutdown(app, { timeoutMs: env.SHUTDOWN_TIMEOUT_MS ?? 10_000, logger: app.get(Logger) }).install();
}

/** The admin key in force (given, from `ADMIN_KEY`, or generated at boot). */
export function adminKeyOf(app: INestApplication): string {
  return app.get<string>(ADMIN_KEY);
}
