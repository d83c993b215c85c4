import { isAnthropicPath } from '../proxy/api-error';

/** The 401 body for a request without a valid key: Anthropic's error shape on `/v1/messages`, OpenAI's elsewhere. */
export function invalidApiKeyBody(url: string | undefined, message: string): object {
  if (url !== undefined && isAnthropicPath(url)) return { type: 'error', error: { type: 'authentication_error', message } };
  return { error: { message, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } };
}

export const MISSING_KEY_MESSAGE = 'Missing API key: send it as `Authorization: Bearer <key>` or `x-api-key: <key>`.';
export const MALFORMED_KEY_MESSAGE =
  'Malformed Authorization header: it must be `Bearer <key>`, one key without spaces (or send the key as `x-api-key: <key>`).';
export const INVALID_KEY_MESSAGE = 'Invalid API key: it is unknown or was revoked. Ask the gateway admin for a key (POST /admin/api/keys).';
