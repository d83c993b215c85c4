import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { stopProcess, track } from './processes';
import { UPSTREAM_DELAY_MS, UPSTREAM_TOKENS } from './variants';

/**
 * The mock upstream of variants g0 and g: an OpenAI-shaped chat completion (usage included), sent
 * UPSTREAM_DELAY_MS after the request arrives. It runs in its own process so that neither the load
 * generator nor the app under test delays its timers.
 */
export interface MockUpstream {
  url: string;
  stop(): Promise<void>;
}

const BODY = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 0,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: {
    prompt_tokens: UPSTREAM_TOKENS.prompt,
    completion_tokens: UPSTREAM_TOKENS.completion,
    total_tokens: UPSTREAM_TOKENS.prompt + UPSTREAM_TOKENS.completion,
  },
});

function serve(): void {
  const server = createServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
      res.end(BODY);
    }, UPSTREAM_DELAY_MS);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('disconnect', () => process.exit(0));
}

export async function startUpstream(timeoutMs = 10_000): Promise<MockUpstream> {
  const child = fork(__filename, ['serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  track(child);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the mock upstream did not listen within ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (message: { port: number }) => {
      clearTimeout(timer);
      resolve(message.port);
    });
    child.once('exit', (code) => reject(new Error(`the mock upstream exited with ${code} before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    stop: () => stopProcess(child, () => child.kill('SIGTERM')),
  };
}

if (require.main === module && process.argv[2] === 'serve') serve();
