/** What replaces a secret in a log line. */
export const REDACTED = '[redacted]';

/**
 * Headers that carry credentials, never logged: the auth schemes of every provider the gateway
 * speaks (OpenAI, Anthropic, Azure, Gemini), proxies and cookies, and any header whose name says
 * key, token, secret, password, session or auth.
 */
export const CREDENTIAL_HEADERS = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'anthropic-api-key',
  'openai-api-key',
  'x-admin-key',
  'cookie',
  'set-cookie',
];
const CREDENTIAL_NAME = /auth|key|token|secret|passw|session|cookie|credential|signature/i;

/** True for a header name that may carry a credential. */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADERS.includes(name.toLowerCase()) || CREDENTIAL_NAME.test(name);
}

/** A copy of `headers` with every credential header's value replaced by {@link REDACTED}. */
export function redactHeaders<T>(headers: Record<string, T> | undefined): Record<string, T | string> | undefined {
  if (!headers || typeof headers !== 'object') return headers;
  const copy: Record<string, T | string> = {};
  for (const [name, value] of Object.entries(headers)) copy[name] = isCredentialHeader(name) ? REDACTED : value;
  return copy;
}

/**
 * A URL (or path) with its query values redacted (`?key=[redacted]`; names kept, they say what
 * was sent) and any `user:password@` dropped.
 */
export function redactUrl(url: string): string {
  const withoutUser = url.replace(/^([a-z][\w+.-]*:\/\/)[^/@?#]*@/i, '$1');
  const start = withoutUser.indexOf('?');
  if (start === -1) return withoutUser;
  const end = withoutUser.indexOf('#', start);
  const query = withoutUser.slice(start + 1, end === -1 ? undefined : end);
  const names = query
    .split('&')
    .filter(Boolean)
    .map((pair) => `${pair.split('=')[0]}=${REDACTED}`);
  return `${withoutUser.slice(0, start)}?${names.join('&')}`;
}

/** pino-http's serialized request, redacted: URL query values, the parsed query and credential headers. */
export function redactRequestLog(req: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...req };
  if (typeof out.url === 'string') out.url = redactUrl(out.url);
  if (out.query && typeof out.query === 'object') out.query = Object.fromEntries(Object.keys(out.query).map((name) => [name, REDACTED]));
  out.headers = redactHeaders(out.headers as Record<string, unknown> | undefined);
  return out;
}

/** pino-http's serialized response, its credential headers (`set-cookie`) redacted. */
export function redactResponseLog(res: Record<string, unknown>): Record<string, unknown> {
  return { ...res, headers: redactHeaders(res.headers as Record<string, unknown> | undefined) };
}
