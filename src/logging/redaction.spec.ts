import { isCredentialHeader, redactHeaders, redactRequestLog, redactUrl } from './redaction';

describe('log redaction', () => {
  it('redacts query values, keeps their names, drops user:password@', () => {
    expect(redactUrl('/v1/chat?key=sk-tb-1&x=2')).toBe('/v1/chat?key=[redacted]&x=[redacted]');
    expect(redactUrl('https://user:pw@api.example.com/v1?key=AIza#frag')).toBe('https://api.example.com/v1?key=[redacted]');
    expect(redactUrl('/v1/chat')).toBe('/v1/chat');
  });

  it('knows the credential headers of every provider, and any header named like one', () => {
    for (const name of [
      'Authorization',
      'proxy-authorization',
      'x-api-key',
      'x-goog-api-key',
      'anthropic-api-key',
      'api-key',
      'cookie',
      'set-cookie',
      'x-session-id',
      'x-amz-security-token',
    ])
      expect(isCredentialHeader(name)).toBe(true);
    for (const name of ['content-type', 'user-agent', 'x-request-id', 'anthropic-version']) expect(isCredentialHeader(name)).toBe(false);
  });

  it('copies, never mutating the live request', () => {
    const headers = { authorization: 'Bearer x', accept: '*/*' };
    const req = { url: '/a?b=c', query: { b: 'c' }, headers };
    expect(redactRequestLog(req)).toEqual({
      url: '/a?b=[redacted]',
      query: { b: '[redacted]' },
      headers: { authorization: '[redacted]', accept: '*/*' },
    });
    expect(headers.authorization).toBe('Bearer x');
    expect(redactHeaders(undefined)).toBeUndefined();
  });
});
