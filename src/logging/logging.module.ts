import { DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream, Level } from 'pino';
import { RequestContextInterceptor } from './request-context.interceptor';
import { requestLogOptions } from './request-log';

export interface GatewayLoggingOptions {
  /** Where the JSON lines go. Default: stdout. */
  stream?: DestinationStream;
  /** Lowest level written. Default: `LOG_LEVEL`, else `info`. */
  level?: Level | 'silent';
}

/** Structured JSON logs (pino): one line per request, and the app's own logs through the same logger. */
@Module({})
export class GatewayLoggingModule {
  static forRoot(options: GatewayLoggingOptions = {}): DynamicModule {
    return {
      module: GatewayLoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService) => {
            const pinoHttp = { ...requestLogOptions(), level: options.level ?? config.get<string>('LOG_LEVEL') ?? 'info' };
            return { pinoHttp: options.stream ? [pinoHttp, options.stream] : pinoHttp };
          },
        }),
      ],
      providers: [{ provide: APP_INTERCEPTOR, useClass: RequestContextInterceptor }],
    };
  }
}
