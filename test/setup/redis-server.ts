import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer, Socket } from 'node:net';

/** A redis-server process started for the tests on a loopback port. */
export interface RedisServerHandle {
  url: string;
  port: number;
  pid: number;
  /** Epoch ms at which the server first answered PING (polled every 10 ms). */
  upAt: number;
  /** Resolves when the server process has exited (stopped, killed or crashed). */
  exited: Promise<void>;
  /** Sends a signal to the server process: SIGKILL to kill it, SIGSTOP / SIGCONT to freeze and thaw it. */
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Listen on this port (e.g. to restart a server where its clients expect it); default: a free one. */
  port?: number;
}

const INSTALL_HINT =
  'Integration tests need a real Redis. Install redis-server (Debian/Ubuntu: `apt-get install -y redis-server`, ' +
  'macOS: `brew install redis`) so it is on PATH, or point REDIS_URL at a Redis you run (redis://127.0.0.1:6379/15).';

export function findRedisServer(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`redis-server was not found on PATH. ${INSTALL_HINT}`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    socket.setTimeout(500);
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

/** Resolves with the epoch ms of the first answered PING. */
async function waitUntilUp(port: number, child: ChildProcess, log: () => string): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${log()}`);
    if (await ping(port)) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`redis-server did not answer PING on port ${port} within 10s: ${log()}`);
}

/** Starts a throwaway redis-server (no persistence unless `extraArgs` ask for it) on a free loopback port. */
export async function startRedisServer(extraArgs: string[] = [], options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = findRedisServer();
  const port = options.port ?? (await freePort());
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
  );
  const upAt = await waitUntilUp(port, child, () => output);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid as number,
    upAt,
    exited,
    signal: (signal) => void child.kill(signal),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGCONT');
        child.kill('SIGTERM');
      }),
  };
}
