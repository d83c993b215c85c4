/** What the start-up banner tells. */
export interface BannerInfo {
  /** Base URL the gateway listens on, e.g. `http://127.0.0.1:3000`. */
  url: string;
  storage: 'memory' | 'redis';
  /** Where each provider family's calls go: a URL or `built-in mock`. */
  upstreams: { openai: string; anthropic: string };
  /** A key to try the gateway with (a demo key), or none: the examples then use `$KEY`, the key the create-key call returns. */
  demoKey?: string;
  /** A line on each seeded key. */
  keys: string[];
  /** How to authenticate on the admin API and the dashboard: the generated key, or where it comes from. */
  adminKey: string;
  /** The admin key as a shell word for the printed curl: the key, `$ADMIN_KEY`, or `$(cat <file>)`. */
  adminKeyShell: string;
}

/**
 * The start-up banner: where the gateway listens, its storage and upstreams, the seeded keys, how
 * to create a key (admin API), and a request to copy: curl, streamed curl, and the `openai` SDK
 * (each on lines of its own).
 */
export function gatewayBanner(info: BannerInfo): string {
  const body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"max_tokens":50';
  const key = info.demoKey ?? '$KEY';
  const quote = info.demoKey ? "'" : '"';
  const headers = `-H ${quote}Authorization: Bearer ${key}${quote} -H 'Content-Type: application/json'`;
  return [
    `Token budget gateway listening on ${info.url}`,
    `  storage:   ${info.storage === 'redis' ? 'Redis (REDIS_URL), shared by every instance' : 'in memory (set REDIS_URL to share budgets across instances)'}`,
    `  upstreams: openai -> ${info.upstreams.openai}; anthropic -> ${info.upstreams.anthropic}`,
    `  keys:      ${info.keys.length ? info.keys.join('; ') : 'none yet (create one with the admin API, below)'}`,
    `  dashboard: ${info.url}/admin (admin key: ${info.adminKey})`,
    `  metrics:   ${info.url}/metrics`,
    '',
    `Create a key (the answer's "key" field, shown once${info.demoKey ? '' : '; the examples below use it as $KEY'}):`,
    `curl -s ${info.url}/admin/api/keys -H "Authorization: Bearer ${info.adminKeyShell}" -H 'Content-Type: application/json' -d '{"user":"alice"}'`,
    '',
    'Try it:',
    `curl -s ${info.url}/v1/chat/completions ${headers} -d '${body}}'`,
    '',
    'Streamed:',
    `curl -sN ${info.url}/v1/chat/completions ${headers} -d '${body},"stream":true}'`,
    '',
    'Your usage:',
    `curl -s ${info.url}/v1/budget -H ${quote}Authorization: Bearer ${key}${quote}`,
    '',
    'With the openai SDK (node, ESM):',
    "import OpenAI from 'openai';",
    `const client = new OpenAI({ apiKey: ${info.demoKey ? `'${info.demoKey}'` : 'process.env.KEY'}, baseURL: '${info.url}/v1' });`,
    "const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] });",
    'console.log(completion.choices[0].message.content);',
    'console.log(completion.usage);',
    '',
  ].join('\n');
}
