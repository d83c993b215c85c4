import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Prompt tokens the loopback provider bills for every request (whatever the library estimated). */
export const PROMPT_TOKENS = 9;

export interface Upstream {
  url: string;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 65_536) throw new Error('request body too large');
  }
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * An OpenAI-compatible chat completions upstream on loopback. Like a real provider it bills the
 * whole output limit the request sent (16,384 when none), not the caller's estimate; streamed
 * answers end with the `choices: []` usage chunk when `stream_options.include_usage` is set.
 */
export async function startUpstream(): Promise<Upstream> {
  const server: Server = createServer((req, res) => {
    readJson(req).then(
      (body) => {
        const completion = typeof body.max_tokens === 'number' ? body.max_tokens : 16_384;
        const usage = { prompt_tokens: PROMPT_TOKENS, completion_tokens: completion, total_tokens: PROMPT_TOKENS + completion };
        const base = { id: 'chatcmpl-compat', created: 1_764_806_400, model: String(body.model) };
        if (!body.stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              ...base,
              object: 'chat.completion',
              choices: [{ index: 0, message: { role: 'assistant', content: 'Hello.' }, finish_reason: 'stop' }],
              usage,
            }),
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const chunk = (payload: object) =>
          res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', ...payload })}\n\n`);
        chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }] });
        chunk({ choices: [{ index: 0, delta: { content: 'lo.' }, finish_reason: 'stop' }] });
        const options = body.stream_options as { include_usage?: boolean } | undefined;
        if (options?.include_usage) chunk({ choices: [], usage });
        res.end('data: [DONE]\n\n');
      },
      (error: Error) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: error.message } }));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
