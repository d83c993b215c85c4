/** What the start-up banner tells. */
export interface BannerInfo {
  /** Base URL the gateway listens on, e.g. `http://127.0.0.1:3000`. */
  url: string;
  storage: 'memory' | 'redis';
  /** Where each provider family's calls go: a URL or `built-in mock`. */
  upstreams: { openai: string; anthropic: string };
  /** A key to try the gateway with, and a line on each demo key. */
  demoKey: string;
  keys: string[];
  /** How to authenticate on the admin API and the dashboard: the generated key, or where it comes from. */
  adminKey: string;
}

/**
 * The start-up banner: where the gateway listens, its storage and upstreams, the demo keys, and
 * a request to copy: curl, streamed curl, and the `openai` SDK (each on lines of its own).
 */
export function gatewayBanner(info: BannerInfo): string {
  const body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"max_tokens":50';
  const headers = `-H 'Authorization: Bearer ${info.demoKey}' -H 'Content-Type: application/json'`;
  return [
    `Token budget gateway listening on ${info.url}`,
    `  storage:   ${info.storage === 'redis' ? 'Redis (REDIS_URL), shared by every instance' : 'in memory (set REDIS_URL to share budgets across instances)'}`,
    `  upstreams: openai -> ${info.upstreams.openai}; anthropic -> ${info.upstreams.anthropic}`,
    `  keys:      ${info.keys.join('; ')}`,
    `  dashboard: ${info.url}/admin (admin key: ${info.adminKey})`,
    `  metrics:   ${info.url}/metrics`,
    '',
    'Try it:',
    `curl -s ${info.url}/v1/chat/completions ${headers} -d '${body}}'`,
    '',
    'Streamed:',
    `curl -sN ${info.url}/v1/chat/completions ${headers} -d '${body},"stream":true}'`,
    '',
    'Your usage:',
    `curl -s ${info.url}/v1/budget -H 'Authorization: Bearer ${info.demoKey}'`,
    '',
    'With the openai SDK (node, ESM):',
    "import OpenAI from 'openai';",
    `const client = new OpenAI({ apiKey: '${info.demoKey}', baseURL: '${info.url}/v1' });`,
    "const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] });",
    'console.log(completion.choices[0].message.content);',
    'console.log(completion.usage);',
    '',
  ].join('\n');
}
