import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InvalidAdminRequestError, InvalidSubjectError } from 'nestjs-token-budget';
import { InvalidKeyRequestError } from '../keys/invalid-key-request.error';

/** Bad admin input the library or the key service refuses: 400 with the error's message. */
@Catch(InvalidAdminRequestError, InvalidSubjectError, InvalidKeyRequestError)
export class AdminErrorsFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: Error, host: ArgumentsHost): void {
    const body = { statusCode: 400, error: 'Bad Request', message: [error.message] };
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), body, 400);
  }
}
