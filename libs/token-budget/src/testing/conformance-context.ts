import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { RateHit, RateHitRequest, RateWindowStore } from '../storage/rate-window.interface';
import type {
  BudgetCounter,
  CommitRequest,
  CommitResult,
  CounterState,
  ReleaseRequest,
  ReserveRequest,
  ReserveResult,
  StorageAdapter,
} from '../storage/storage-adapter.interface';
import type { StorageCapability } from './conformance.types';

/** An admitted reserve: its id, what it held, the states after. */
export type Admitted = { id: string; held: number; heldCost: number; states: CounterState[] };
/** A refused reserve. */
export type Refused = Extract<ReserveResult, { admitted: false }>;

/** A case as written: what it needs, and its body on a fresh context. */
export interface CaseDefinition {
  name: string;
  needs?: readonly StorageCapability[];
  run(ctx: ConformanceContext): Promise<void>;
}

/** Where time starts in a case when the kit drives it through `now` (a mid-month UTC noon). */
const VIRTUAL_START = Date.UTC(2026, 10, 15, 12);
/** Lease of a hold that must not lapse within a case. */
const LONG_LEASE_MS = 600_000;
/** How long records of a case live (the store forgets them afterwards). */
const RECORD_LIFE_MS = 2 * 3_600_000;

/** Counter fields a case sets; the rest default to an unlimited counter that lives two hours. */
export type CounterSpec = Partial<Omit<BudgetCounter, 'key'>>;

/** The figures every adapter returns (the optional ones of `CounterState` left out). */
export type Figures = Pick<CounterState, 'used' | 'reserved' | 'carryover' | 'costUsed' | 'costReserved' | 'requests'>;

/**
 * What a case works with: the adapter, keys of its own, and time. Time is the adapter's clock when
 * it has one (`now()` or the `clock` option; waits are then real, polled with a deadline), else a
 * virtual clock that only moves when a case calls `advance`.
 */
export class ConformanceContext {
  private virtualNow = VIRTUAL_START;
  private ids = 0;
  readonly prefix: string;
  readonly expireAt: number;

  constructor(
    readonly adapter: StorageAdapter,
    keyPrefix: string,
    private readonly clock: (() => number) | undefined,
  ) {
    this.prefix = `${keyPrefix}-${randomUUID().slice(0, 8)}`;
    this.expireAt = this.now() + RECORD_LIFE_MS;
  }

  /** True when time is the adapter's own (cases wait for it instead of moving it). */
  get ownClock(): boolean {
    return this.clock !== undefined;
  }

  now(): number {
    return this.clock ? this.clock() : this.virtualNow;
  }

  /** Moves the virtual clock (only without a clock of the adapter's own). */
  advance(ms: number): void {
    assert.ok(!this.clock, 'advance() needs the virtual clock');
    this.virtualNow += ms;
  }

  id(label = 'r'): string {
    return `${label}-${++this.ids}-${randomUUID().slice(0, 8)}`;
  }

  /** The hash tag of a subject, `<prefix>:budget:{user:<subject>}`, as the library builds it. */
  tag(subject: string): string {
    return `${this.prefix}:budget:{user:${subject}}`;
  }

  key(subject: string, period = '2026-11'): string {
    return `${this.tag(subject)}:${period}`;
  }

  counter(subject: string, spec: CounterSpec = {}, period?: string): BudgetCounter {
    return { key: this.key(subject, period), limit: 0, costLimit: 0, maxCarryover: 0, expireAt: this.expireAt, ...spec };
  }

  /** The override location of a subject's rule (`BudgetCounter.override`). */
  override(subject: string): { key: string; field: string } {
    return { key: `${this.tag(subject)}:limits`, field: 'user|month' };
  }

  /** The rankings of the case's rule and period, with `subject` as member (`BudgetCounter.index`). */
  index(subject: string): { key: string; costKey: string; member: string } {
    const key = `${this.prefix}:rank:{user|month}:2026-11`;
    return { key, costKey: `${key}:cost`, member: subject };
  }

  reserve(counters: BudgetCounter[], amount: number, extra: Partial<ReserveRequest> = {}): Promise<ReserveResult> {
    const now = extra.now ?? this.now();
    const request: ReserveRequest = { id: this.id(), counters, amount, cost: 0, leaseUntil: now + LONG_LEASE_MS, now, ...extra };
    return Promise.resolve(this.adapter.reserve(request));
  }

  /** A reserve that must be admitted; returns what it held and its id. */
  async admit(counters: BudgetCounter[], amount: number, extra: Partial<ReserveRequest> = {}): Promise<Admitted> {
    const id = extra.id ?? this.id();
    const result = await this.reserve(counters, amount, { ...extra, id });
    assert.equal(result.admitted, true, `reserve of ${amount} tokens, ${extra.cost ?? 0} nano-dollars refused: ${JSON.stringify(result)}`);
    if (!result.admitted) throw new Error('unreachable');
    return { id, held: result.held, heldCost: result.heldCost, states: result.states };
  }

  /** A reserve that must be refused; returns the refusal. */
  async refuse(counters: BudgetCounter[], amount: number, extra: Partial<ReserveRequest> = {}): Promise<Refused> {
    const result = await this.reserve(counters, amount, extra);
    const what = `reserve of ${amount} tokens, ${extra.cost ?? 0} nano-dollars`;
    assert.equal(result.admitted, false, `${what} admitted: ${JSON.stringify(result)}`);
    if (result.admitted) throw new Error('unreachable');
    return result;
  }

  async commit(counters: BudgetCounter[], amount: number, extra: Partial<CommitRequest> = {}): Promise<CommitResult> {
    const request: CommitRequest = { id: this.id('c'), counters, amount, cost: 0, now: this.now(), ...extra };
    const result = await this.adapter.commit(request);
    assert.ok(result && Array.isArray(result.states) && Array.isArray(result.crossed), 'commit returns { states, crossed }');
    return result;
  }

  async release(counters: BudgetCounter[], id: string, extra: Partial<ReleaseRequest> = {}): Promise<void> {
    await this.adapter.release({ id, counters, now: this.now(), ...extra });
  }

  async read(counters: BudgetCounter[], now = this.now()): Promise<CounterState[]> {
    const states = await this.adapter.read(counters, now);
    assert.equal(states.length, counters.length, 'read returns one state per counter');
    return states;
  }

  /** The figures of each counter, as read now. */
  async figures(counters: BudgetCounter[], now?: number): Promise<Figures[]> {
    return (await this.read(counters, now)).map(figuresOf);
  }

  hit(request: Omit<RateHitRequest, 'now'>): Promise<RateHit> {
    return Promise.resolve((this.adapter as StorageAdapter & RateWindowStore).hit({ ...request, now: this.now() }));
  }

  /** Polls `check` until it answers true, failing with `what` past the deadline. */
  async waitFor(what: string, check: () => Promise<boolean> | boolean, deadlineMs = 20_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (!(await check())) {
      if (Date.now() > deadline) assert.fail(`waited ${deadlineMs} ms for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Lets time reach `at`: the virtual clock is moved there, the adapter's own clock waited for. */
  async reach(at: number): Promise<void> {
    if (!this.clock) {
      if (at > this.virtualNow) this.virtualNow = at;
      return;
    }
    await this.waitFor(`the adapter's clock to reach ${new Date(at).toISOString()}`, () => this.now() >= at);
  }
}

export function figuresOf(state: CounterState): Figures {
  const { used, reserved, carryover, costUsed, costReserved, requests } = state;
  return { used, reserved, carryover, costUsed, costReserved, requests };
}

/** Figures of a counter: zeros but for the ones given. */
export const figures = (given: Partial<Figures>): Figures => ({
  used: 0,
  reserved: 0,
  carryover: 0,
  costUsed: 0,
  costReserved: 0,
  requests: 0,
  ...given,
});

/** Runs `call` (sync or async) and asserts it throws or rejects. */
export async function rejects(call: () => unknown, what: string): Promise<void> {
  let failed = false;
  try {
    await call();
  } catch {
    failed = true;
  }
  assert.ok(failed, `${what} was accepted`);
}
