import { MockUpstream } from '../upstream/mock-upstream';
import type { Upstream } from '../upstream/upstream';

/** Ollama's default port: an upstream on it serves local models. */
const OLLAMA_PORT = '11434';

/**
 * Whether calls to `upstream` are billed by a provider (`paidUpstream: 'auto'`): not the built-in
 * mock, not a loopback host (`localhost`, `127.0.0.0/8`, `::1`), not Ollama's port 11434; any other
 * URL is paid. A loopback proxy in front of a paid provider (LiteLLM, a tunnel) needs
 * `paidUpstream: true`.
 */
export function isPaidUpstream(upstream: Upstream, setting: 'auto' | boolean = 'auto'): boolean {
  if (upstream instanceof MockUpstream) return false;
  if (setting !== 'auto') return setting;
  let url: URL;
  try {
    url = new URL(upstream.target);
  } catch {
    return true;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host)) return false;
  return url.port !== OLLAMA_PORT;
}
