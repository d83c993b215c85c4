import { validateEnv } from './env.validation';
import { DEFAULT_SERVER_LIMITS, serverLimitsOf } from './server-limits';
import { DEFAULT_UPSTREAM_LIMITS, upstreamLimitsOf } from '../upstream/upstream-limits';

describe('the bound variables', () => {
  it('are read as numbers, with the defaults for those unset', () => {
    const env = validateEnv({ UPSTREAM_IDLE_TIMEOUT_MS: '1500', UPSTREAM_MAX_LINE_BYTES: '65536', HTTP_MAX_CONNECTIONS: '10' });
    const read = env as unknown as Record<string, unknown>;
    expect(upstreamLimitsOf((name) => read[name])).toEqual({ ...DEFAULT_UPSTREAM_LIMITS, idleTimeoutMs: 1500, maxLineBytes: 65536 });
    expect(serverLimitsOf(env)).toEqual({ ...DEFAULT_SERVER_LIMITS, maxConnections: 10 });
  });

  it('keep the headers bound within the request bound, as Node wants', () => {
    expect(serverLimitsOf(validateEnv({ HTTP_HEADERS_TIMEOUT_MS: '50000', HTTP_REQUEST_TIMEOUT_MS: '30000' }))).toMatchObject({
      headersTimeoutMs: 30_000,
      requestTimeoutMs: 30_000,
    });
  });

  it('stop the boot naming each bad value', () => {
    expect(() =>
      validateEnv({ UPSTREAM_IDLE_TIMEOUT_MS: '0', UPSTREAM_MAX_RESPONSE_BYTES: 'lots', HTTP_HEADERS_TIMEOUT_MS: '10' }),
    ).toThrow(
      /UPSTREAM_IDLE_TIMEOUT_MS: must not be less than 1[\s\S]*UPSTREAM_MAX_RESPONSE_BYTES[\s\S]*HTTP_HEADERS_TIMEOUT_MS: must not be less than 1000/,
    );
  });
});
