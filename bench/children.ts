import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { BenchTargets } from './apps';
import type { ChildMessage, ParentMessage, ScopeUsage } from './messages';
import { stopProcess, track } from './processes';
import type { VariantId } from './variants';

type Reply<T extends ChildMessage['type']> = Extract<ChildMessage, { type: T }>;

export class BenchServer {
  private stopping = false;
  readonly failure: Promise<never>;

  private constructor(
    readonly variant: VariantId,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    this.failure = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => {
        if (!this.stopping) reject(new Error(`server ${variant} exited unexpectedly (code ${code}, signal ${signal})`));
      });
    });
    this.failure.catch(() => undefined);
  }

  static async start(variant: VariantId, targets: BenchTargets, timeoutMs = 20_000): Promise<BenchServer> {
    const script = join(__dirname, 'server.js');
    const child = fork(script, [variant, JSON.stringify(targets)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    track(child);
    child.on('error', (error) => console.error(`[bench] server ${variant}: ${error.message}`));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server ${variant} did not report its port within ${timeoutMs} ms`)), timeoutMs);
      const settle = (error: Error | null, value?: number) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve(value as number);
      };
      const onMessage = (message: ChildMessage) => {
        if (message.type === 'ready') settle(null, message.port);
        else if (message.type === 'failed') settle(new Error(`server ${variant} failed to start: ${message.message}`));
      };
      const onExit = (code: number | null) => settle(new Error(`server ${variant} exited with ${code} before listening`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    }).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    return new BenchServer(variant, port, child);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hello`;
  }

  async cpuMicros(): Promise<number> {
    return (await this.ask('cpu', 'cpu')).micros;
  }

  async budgetUsage(): Promise<{ budgets: ScopeUsage[] | null; rateHits?: number }> {
    const { budgets, rateHits } = await this.ask('usage', 'usage');
    return { budgets, rateHits };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await stopProcess(this.child, () => {
      if (this.child.connected) this.child.send('stop' satisfies ParentMessage);
      else this.child.kill('SIGTERM');
    });
  }

  private ask<T extends ChildMessage['type']>(request: ParentMessage, type: T, timeoutMs = 10_000): Promise<Reply<T>> {
    const reply = new Promise<Reply<T>>((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`server ${this.variant} did not answer '${request}' within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const done = (error: Error | null, message?: Reply<T>) => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        if (error) reject(error);
        else resolve(message as Reply<T>);
      };
      const onMessage = (message: ChildMessage) => {
        if (message.type === type) done(null, message as Reply<T>);
        else if (message.type === 'failed') done(new Error(`server ${this.variant}: ${message.message}`));
      };
      if (!this.child.connected) return done(new Error(`server ${this.variant} is gone (IPC channel closed)`));
      this.child.on('message', onMessage);
      this.child.send(
        request,
        (error) => error && done(new Error(`server ${this.variant}: sending '${request}' failed: ${error.message}`)),
      );
    });
    return Promise.race([reply, this.failure]);
  }
}
