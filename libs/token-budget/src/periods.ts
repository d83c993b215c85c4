import { DateTime, IANAZone } from 'luxon';

/** Calendar periods a budget can reset on. */
export type BudgetPeriod = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'lifetime';

/** The values of {@link BudgetPeriod}, for validation and docs. */
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['minute', 'hour', 'day', 'week', 'month', 'lifetime'];

/** How a rule's period is defined: a calendar period (in a time zone) or a fixed `every` window. */
export interface PeriodSpec {
  period?: BudgetPeriod;
  /** Fixed windows numbered from the Unix epoch, e.g. `'15m'`, `'6h'`, `'30s'`, `'2d'`. */
  every?: string;
  /** IANA time zone for calendar periods. Default: `'UTC'`. */
  timezone?: string;
}

/** One period of a rule: its storage key suffix and its bounds in epoch milliseconds. */
export interface PeriodWindow {
  /** `2026-11`, `2026-11-23`, `2026-W48`, `2026-11-23T14`, `2026-11-23T14:05`, `all`, `15m-1953216`. */
  readonly key: string;
  /** Key of the period just before this one, `undefined` for `lifetime`. */
  readonly previousKey: string | undefined;
  readonly start: number;
  /** Start of the next period (exclusive end); `Infinity` for `lifetime`. */
  readonly end: number;
  /** Start of the period after the next one: how long this period's record must be kept for rollover. */
  readonly keepUntil: number;
}

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `'15m'`-style durations into milliseconds; `undefined` when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2]];
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

/** True when `zone` is an IANA time zone name this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

const LUXON_UNIT = { minute: 'minute', hour: 'hour', day: 'day', week: 'week', month: 'month' } as const;
const KEY_FORMAT = {
  minute: "yyyy-LL-dd'T'HH:mm",
  hour: "yyyy-LL-dd'T'HH",
  day: 'yyyy-LL-dd',
  week: "kkkk-'W'WW",
  month: 'yyyy-LL',
} as const;

const LIFETIME: PeriodWindow = { key: 'all', previousKey: undefined, start: 0, end: Infinity, keepUntil: Infinity };

/**
 * Computes the current period window of one rule. The window is cached, so on the hot path the
 * cost is one comparison until the period ends.
 */
export class PeriodCalculator {
  private current: PeriodWindow | undefined;
  private readonly everyMs: number | undefined;

  constructor(private readonly spec: PeriodSpec) {
    this.everyMs = spec.every === undefined ? undefined : parseDuration(spec.every);
    if (spec.every !== undefined && this.everyMs === undefined) {
      throw new Error(`Invalid every '${spec.every}': expected a number and a unit (ms, s, m, h, d), e.g. '15m'`);
    }
    if (spec.timezone !== undefined && !isValidTimeZone(spec.timezone)) {
      throw new Error(`Invalid timezone '${spec.timezone}': expected an IANA name such as 'Europe/Paris'`);
    }
  }

  /** The window containing `now` (epoch ms). */
  window(now: number): PeriodWindow {
    const cached = this.current;
    if (cached !== undefined && now >= cached.start && now < cached.end) return cached;
    const computed = this.compute(now);
    this.current = computed;
    return computed;
  }

  private compute(now: number): PeriodWindow {
    if (this.everyMs !== undefined) return this.fixedWindow(now, this.everyMs);
    const period = this.spec.period ?? 'month';
    if (period === 'lifetime') return LIFETIME;
    if (period === 'hour' || period === 'minute') return this.clockWindow(now, period);
    const unit = LUXON_UNIT[period];
    const format = KEY_FORMAT[period];
    const local = DateTime.fromMillis(now, { zone: this.spec.timezone ?? 'UTC' });
    const start = local.startOf(unit, { useLocaleWeeks: false });
    const next = start.plus({ [unit]: 1 });
    const afterNext = next.plus({ [unit]: 1 });
    const previous = start.minus({ [unit]: 1 });
    return {
      key: start.toFormat(format),
      previousKey: previous.toFormat(format),
      start: start.toMillis(),
      end: next.toMillis(),
      keepUntil: afterNext.toMillis(),
    };
  }

  /**
   * Hours and minutes are fixed lengths of the zone's local clock, computed from the offset at
   * `now`: when clocks go back, the repeated local hour is a period of its own, told apart by the
   * UTC offset in its key (`2026-11-01T01-04:00`, then `2026-11-01T01-05:00`). UTC keys carry no offset.
   */
  private clockWindow(now: number, period: 'hour' | 'minute'): PeriodWindow {
    const unitMs = period === 'hour' ? 3_600_000 : 60_000;
    const zone = this.spec.timezone ?? 'UTC';
    const offsetMs = DateTime.fromMillis(now, { zone }).offset * 60_000;
    const start = now - ((((now + offsetMs) % unitMs) + unitMs) % unitMs);
    const withOffset = zone !== 'UTC' && zone !== 'Etc/UTC';
    const key = (at: number) => {
      const local = DateTime.fromMillis(at, { zone });
      return local.toFormat(KEY_FORMAT[period]) + (withOffset ? local.toFormat('ZZ') : '');
    };
    return { key: key(start), previousKey: key(start - unitMs), start, end: start + unitMs, keepUntil: start + 2 * unitMs };
  }

  private fixedWindow(now: number, everyMs: number): PeriodWindow {
    const index = Math.floor(now / everyMs);
    const label = this.spec.every as string;
    return {
      key: `${label}-${index}`,
      previousKey: `${label}-${index - 1}`,
      start: index * everyMs,
      end: (index + 1) * everyMs,
      keepUntil: (index + 2) * everyMs,
    };
  }
}
