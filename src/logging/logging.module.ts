import { DynamicModule, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigService } from '@nestjs/config';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream, Level } from 'pino';
import { isAnthropicPath } from '../proxy/api-error';
import { logDestination } from './log-destination';
import { RequestContextInterceptor } from './request-context.interceptor';
import { assignRequestId, requestLogOptions } from './request-log';

const ALL_ROUTES = { path: '{*path}', method: RequestMethod.ALL };

export interface GatewayLoggingOptions {
  /** Where the log lines go. Default: stdout, human-readable on a terminal, JSON otherwise ({@link logDestination}). */
  stream?: DestinationStream;
  /** Lowest level written. Default: `LOG_LEVEL`, else `info`. */
  level?: Level | 'silent';
}

/** Structured JSON logs (pino): one line per request, and the app's own logs through the same logger. */
@Module({})
export class GatewayLoggingModule implements NestModule {
  /** Request ids on every platform: Fastify numbers its requests itself, which pino-http would keep. */
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply((req: IncomingMessage, res: ServerResponse, next: () => void) => {
        const id = assignRequestId(req, res);
        (req as { id?: unknown }).id = id;
        // Anthropic's SDK reads a request's id (`requestID`) from this header
        if (isAnthropicPath((req as { originalUrl?: string }).originalUrl ?? req.url ?? '')) res.setHeader('request-id', id);
        next();
      })
      .forRoutes(ALL_ROUTES);
  }

  static forRoot(options: GatewayLoggingOptions = {}): DynamicModule {
    return {
      module: GatewayLoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService) => {
            const pinoHttp = { ...requestLogOptions(), level: options.level ?? config.get<string>('LOG_LEVEL') ?? 'info' };
            // every route on both platforms (Nest 11 route syntax; nestjs-pino's default '*' misses routes on Fastify)
            return { pinoHttp: [pinoHttp, options.stream ?? logDestination()], forRoutes: [ALL_ROUTES] };
          },
        }),
      ],
      providers: [{ provide: APP_INTERCEPTOR, useClass: RequestContextInterceptor }],
    };
  }
}
