import { DynamicModule, Inject, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
/** Express's own body parsers (body-parser), the ones Nest's `useBodyParser` registers. */
const { json, urlencoded } = require('express') as { json(options: object): Middleware; urlencoded(options: object): Middleware };

const BODY_LIMIT = Symbol('BODY_LIMIT');

/**
 * The JSON and form body parsers of the Express platform (create the app with `bodyParser: false`),
 * as route middleware rather than at the application level: Nest runs the middleware of global
 * modules (the request logger's) first, so a refused body (invalid JSON 400, over the limit 413)
 * has its request id and its log line like any other refusal.
 */
@Module({})
export class ExpressBodyModule implements NestModule {
  constructor(@Inject(BODY_LIMIT) private readonly limit: number) {}

  static register(limit: number): DynamicModule {
    return { module: ExpressBodyModule, providers: [{ provide: BODY_LIMIT, useValue: limit }] };
  }

  configure(consumer: MiddlewareConsumer): void {
    // not strict: valid JSON that is not an object (null, "text", 42) is refused by ModelRequiredGuard
    // as `invalid_body`, as on Fastify, rather than reported as a JSON syntax error
    consumer
      .apply(json({ limit: this.limit, strict: false }), urlencoded({ limit: this.limit, extended: true }))
      .forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
