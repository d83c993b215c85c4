import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppModule, GatewayModuleOptions } from './app.module';
import { DEFAULT_MAX_BODY_BYTES, validateEnv } from './config/env.validation';
import { apiErrorBody } from './proxy/api-error';

/** How to build the gateway; every field is optional (the environment decides the rest). */
export interface GatewayOptions extends GatewayModuleOptions {
  /** HTTP platform. Default: `PLATFORM`, else express. */
  platform?: 'express' | 'fastify';
  /** Nest logger. Default: Nest's console logger. */
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * The gateway app as `main.ts` runs it (not yet listening): the platform, the request body limit
 * (`MAX_BODY_BYTES`, 413 over it), JSON errors for bodies that cannot be parsed (400), shutdown hooks.
 * Throws, naming the variable or the file, when the environment or the budget config file is bad.
 */
export async function createGateway(options: GatewayOptions = {}): Promise<INestApplication> {
  const env = validateEnv(process.env);
  const platform = options.platform ?? env.PLATFORM ?? 'express';
  const bodyLimit = env.MAX_BODY_BYTES ?? DEFAULT_MAX_BODY_BYTES;
  const module = AppModule.register(options);
  const appOptions = options.logger === undefined ? {} : { logger: options.logger };
  let app: INestApplication;
  if (platform === 'fastify') {
    const adapter = new FastifyAdapter({ bodyLimit });
    adapter.getInstance().setErrorHandler(fastifyBodyErrors);
    app = await NestFactory.create<NestFastifyApplication>(module, adapter, appOptions);
  } else {
    const express = await NestFactory.create<NestExpressApplication>(module, appOptions);
    express.useBodyParser('json', { limit: bodyLimit });
    express.useBodyParser('urlencoded', { limit: bodyLimit, extended: true });
    express.use(expressBodyErrors);
    app = express;
  }
  app.enableShutdownHooks();
  return app;
}

/** Express: a body over the limit or that is not JSON, as a JSON error (body-parser's errors carry the status). */
function expressBodyErrors(
  error: unknown,
  req: { originalUrl: string },
  res: { headersSent: boolean; status(code: number): { json(body: unknown): void } },
  next: (error: unknown) => void,
): void {
  const status = (error as { status?: unknown }).status;
  if (res.headersSent || typeof status !== 'number' || status < 400 || status >= 500) return next(error);
  res.status(status).json(bodyError(req.originalUrl, status, (error as { type?: string }).type));
}

/** Fastify: errors of its content parsers (body too large, invalid JSON) as JSON errors. */
function fastifyBodyErrors(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 500;
  if (status < 400 || status >= 500) {
    void reply.status(status).send(apiErrorBody(req.url, status, 'Internal server error'));
    return;
  }
  void reply.status(status).send(bodyError(req.url, status, error.code));
}

function bodyError(path: string, status: number, kind?: string): object {
  if (status === 413) return apiErrorBody(path, 413, 'The request body is larger than the gateway accepts (MAX_BODY_BYTES). Send a smaller body.', { code: 'request_too_large' });
  if (status === 415 || kind === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return apiErrorBody(path, status, 'Send the body as JSON (Content-Type: application/json).', { code: 'unsupported_media_type' });
  return apiErrorBody(path, status, 'The request body is not valid JSON. Send a JSON object, e.g. {"model":"gpt-4o-mini","messages":[...]}.', { code: 'invalid_json' });
}
