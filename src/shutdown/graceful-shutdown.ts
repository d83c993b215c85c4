import type { INestApplication, LoggerService } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Reservation } from 'nestjs-token-budget';
import { platformRequest } from '../logging/request-context';

export interface GracefulShutdownOptions {
  /** How long in-flight requests (streams too) may take to finish before their connections are cut. */
  timeoutMs: number;
  /** How long, after that, outstanding reservations may take to settle before they are released. Default 5000. */
  settleMs?: number;
  signals?: NodeJS.Signals[];
  logger: LoggerService;
  /** Called with the exit code once the app is closed. Default `process.exit`. */
  exit?: (code: number) => void;
}

/**
 * On SIGTERM / SIGINT: stop accepting connections, let in-flight requests finish (within
 * `timeoutMs`, then cut them: the budget interceptor commits what a cut stream delivered), wait
 * for every reservation they hold to be committed or released (releasing what is still held after
 * `settleMs`), close the app (which closes storage), and exit 0.
 */
export class GracefulShutdown {
  private readonly inFlight = new Set<IncomingMessage>();
  /** Requests that ended while their reservation was still being settled. */
  private readonly settling = new Set<IncomingMessage>();
  private closing = false;

  constructor(
    private readonly app: INestApplication,
    private readonly options: GracefulShutdownOptions,
  ) {}

  /** Tracks requests on the app's HTTP server and listens for the signals. Call after `listen`. */
  install(): this {
    const server = this.server();
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.inFlight.add(req);
      if (this.closing) res.setHeader('Connection', 'close');
      res.once('close', () => {
        this.inFlight.delete(req);
        for (const earlier of this.settling) if (isSettled(earlier)) this.settling.delete(earlier);
        if (!isSettled(req)) this.settling.add(req);
      });
    });
    for (const signal of this.options.signals ?? ['SIGTERM', 'SIGINT']) process.once(signal, () => void this.shutdown(signal));
    return this;
  }

  async shutdown(signal: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const { logger, timeoutMs } = this.options;
    const server = this.server();
    logger.log(
      `${signal}: no longer accepting connections; waiting up to ${timeoutMs} ms for ${this.inFlight.size} request(s) in flight`,
      'Shutdown',
    );
    server.close();
    server.closeIdleConnections();
    let code = 0;
    try {
      if (!(await until(() => this.inFlight.size === 0, timeoutMs))) {
        logger.warn(`${this.inFlight.size} request(s) still running after ${timeoutMs} ms; closing their connections`, 'Shutdown');
        for (const req of this.inFlight) this.settling.add(req);
        server.closeAllConnections();
      }
      server.closeIdleConnections();
      await this.settleReservations();
      await this.app.close();
      logger.log('Closed', 'Shutdown');
    } catch (error) {
      code = 1;
      logger.error(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}`, undefined, 'Shutdown');
    }
    (this.options.exit ?? process.exit)(code);
  }

  /** Waits for the reservations of ended requests to settle; releases those still held after `settleMs`. */
  private async settleReservations(): Promise<void> {
    const reservations = [...this.settling].map(reservationOf).filter((r): r is Reservation => r !== undefined);
    if (await until(() => [...this.settling].every(isSettled), this.options.settleMs ?? 5_000)) return;
    const held = reservations.filter((r) => r.state === 'held');
    this.options.logger.warn(`Releasing ${held.length} reservation(s) still held`, 'Shutdown');
    await Promise.allSettled(held.map((r) => r.release()));
  }

  private server(): Server {
    return this.app.getHttpServer() as Server;
  }
}

function reservationOf(req: IncomingMessage): Reservation | undefined {
  return platformRequest(req).tokenBudget?.reservation;
}

/** True when the request holds no reservation, or its reservation is committed or released. */
function isSettled(req: IncomingMessage): boolean {
  const state = reservationOf(req)?.state;
  return state === undefined || state === 'committed' || state === 'released';
}

/** Polls `done` every 10 ms until it holds (true) or `ms` pass (false). */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}
