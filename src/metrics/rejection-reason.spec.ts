import {
  BadRequestException,
  NotFoundException,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { rejectionReason } from './rejection-reason';

describe('rejectionReason', () => {
  it('names refusals by status, or by the error code of the body', () => {
    expect(rejectionReason(new UnauthorizedException('no key'))).toBe('unauthorized');
    expect(rejectionReason(new BadRequestException('bad'))).toBe('bad_request');
    expect(rejectionReason(new PayloadTooLargeException())).toBe('payload_too_large');
    expect(rejectionReason(new ServiceUnavailableException({ error: 'budget_storage_unavailable', message: 'x' }))).toBe(
      'budget_storage_unavailable',
    );
    expect(rejectionReason(new ServiceUnavailableException())).toBe('service_unavailable');
  });

  it('reads the status of body-parser and Fastify errors', () => {
    expect(rejectionReason(Object.assign(new Error('too large'), { status: 413, type: 'entity.too.large' }))).toBe('payload_too_large');
    expect(rejectionReason(Object.assign(new Error('bad json'), { statusCode: 400 }))).toBe('bad_request');
  });

  it('does not count 404s and server faults', () => {
    expect(rejectionReason(new NotFoundException())).toBeUndefined();
    expect(rejectionReason(new Error('boom'))).toBeUndefined();
  });
});
