import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { buildGatewayApp, startGatewayProcess } from './fixtures/gateway-process';

const ROOT = resolve(__dirname, '..');
const MAIN = resolve(ROOT, 'dist', 'app', 'src', 'main.js');
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Runs main.js under a pseudo-terminal (util-linux `script`), so its stdout is a TTY; resolves with the output once `until` is seen. */
function startOnTerminal(until: RegExp): Promise<{ child: ChildProcess; output: string }> {
  const command = `PORT=0 ADMIN_KEY= ${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`not seen within 30 s: ${until}; output:\n${output}`)), 30_000);
    child.stdout!.on('data', (data: Buffer) => {
      output += data.toString().replace(ANSI, '').replace(/\r/g, '');
      if (until.test(output)) {
        clearTimeout(timer);
        resolvePromise({ child, output });
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}; output:\n${output}`)));
  });
}

describe('start-up output', () => {
  beforeAll(() => buildGatewayApp(), 120_000);

  it('off a terminal: the banner comes first, then the start-up logs as JSON lines', async () => {
    const gateway = await startGatewayProcess({ PORT: '0', ADMIN_KEY: 'sk-admin-startup-output-0123456789' });
    try {
      await gateway.line(/Nest application successfully started/);
      expect(String(gateway.lines[0].msg)).toMatch(/^Token budget gateway listening on http:\/\/127\.0\.0\.1:\d+$/);
      const bannerEnd = gateway.lines.findIndex((line) => line.msg === 'console.log(completion.usage);');
      const firstJson = gateway.lines.findIndex((line) => typeof line.level === 'number');
      expect(bannerEnd).toBeGreaterThan(0);
      expect(firstJson).toBeGreaterThan(bannerEnd);
      // every start-up line after the banner is a JSON log line (Nest's ~40 module and route lines)
      const after = gateway.lines.slice(bannerEnd + 1);
      expect(after.length).toBeGreaterThan(20);
      expect(after.every((line) => typeof line.level === 'number' && typeof line.time === 'number')).toBe(true);
    } finally {
      await gateway.stop();
    }
  });

  it('on a terminal: the banner first with the generated admin key in full, then human-readable log lines (no JSON)', async () => {
    const { child, output } = await startOnTerminal(/Nest application successfully started[^\n]*\n/);
    try {
      const lines = output.split('\n').filter((line) => line.trim() !== '');
      expect(lines[0]).toMatch(/^Token budget gateway listening on http:\/\/127\.0\.0\.1:\d+$/);
      expect(output).toMatch(/admin key: sk-admin-[\w-]{32} \(generated for this run/);
      const logs = lines.slice(lines.indexOf('console.log(completion.usage);') + 1);
      expect(logs.length).toBeGreaterThan(20);
      expect(output).not.toContain('{"level"');
      expect(logs.some((line) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO.*Nest application successfully started/.test(line))).toBe(true);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGTERM'); // its own process group: script and the gateway under it
      await exited;
    }
  });
});
