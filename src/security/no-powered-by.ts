import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/** No `X-Powered-By` on any answer: Express sends one unless told not to (Fastify sends none). */
@Injectable()
export class NoPoweredBy implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const instance = this.adapterHost.httpAdapter?.getInstance() as { disable?: (setting: string) => void } | undefined;
    if (typeof instance?.disable === 'function') instance.disable('x-powered-by');
  }
}
