import { PeriodCalculator, parseDuration } from './periods';

const at = (iso: string) => Date.parse(iso);

describe('PeriodCalculator', () => {
  it('computes UTC calendar keys and the next period start', () => {
    const now = at('2026-11-23T14:05:09.000Z');
    expect(new PeriodCalculator({ period: 'month' }).window(now)).toEqual({
      key: '2026-11',
      previousKey: '2026-10',
      start: at('2026-11-01T00:00:00Z'),
      end: at('2026-12-01T00:00:00Z'),
      keepUntil: at('2027-01-01T00:00:00Z'),
    });
    expect(new PeriodCalculator({ period: 'day' }).window(now).key).toBe('2026-11-23');
    expect(new PeriodCalculator({ period: 'hour' }).window(now).key).toBe('2026-11-23T14');
    expect(new PeriodCalculator({ period: 'minute' }).window(now).key).toBe('2026-11-23T14:05');
    expect(new PeriodCalculator({ period: 'minute' }).window(now).end).toBe(at('2026-11-23T14:06:00Z'));
  });

  it('uses ISO weeks, including the week-year at a year boundary', () => {
    const w = new PeriodCalculator({ period: 'week' }).window(at('2027-01-01T12:00:00Z'));
    expect(w.key).toBe('2026-W53');
    expect(w.start).toBe(at('2026-12-28T00:00:00Z'));
    expect(w.end).toBe(at('2027-01-04T00:00:00Z'));
    expect(new PeriodCalculator({ period: 'week' }).window(at('2026-11-23T00:00:00Z')).key).toBe('2026-W48');
  });

  it('rolls months over the year boundary', () => {
    const w = new PeriodCalculator({ period: 'month' }).window(at('2027-01-15T00:00:00Z'));
    expect(w.key).toBe('2027-01');
    expect(w.previousKey).toBe('2026-12');
  });

  it('computes calendar periods in the rule time zone', () => {
    // 23:30 UTC on Nov 30 is already Dec 1 in Tokyo and still Nov 30 in Los Angeles.
    const now = at('2026-11-30T23:30:00Z');
    const tokyo = new PeriodCalculator({ period: 'month', timezone: 'Asia/Tokyo' }).window(now);
    expect(tokyo.key).toBe('2026-12');
    expect(tokyo.start).toBe(at('2026-11-30T15:00:00Z'));
    const la = new PeriodCalculator({ period: 'day', timezone: 'America/Los_Angeles' }).window(now);
    expect(la.key).toBe('2026-11-30');
    expect(la.end).toBe(at('2026-12-01T08:00:00Z'));
  });

  it('gives days of 23 and 25 hours across daylight-saving changes', () => {
    const paris = new PeriodCalculator({ period: 'day', timezone: 'Europe/Paris' });
    const spring = paris.window(at('2026-03-29T12:00:00Z'));
    expect(spring.end - spring.start).toBe(23 * 3_600_000);
    const autumn = new PeriodCalculator({ period: 'day', timezone: 'Europe/Paris' }).window(at('2026-10-25T12:00:00Z'));
    expect(autumn.end - autumn.start).toBe(25 * 3_600_000);
  });

  it('makes the hour repeated when clocks go back a period of its own', () => {
    const ny = new PeriodCalculator({ period: 'hour', timezone: 'America/New_York' });
    const first = ny.window(at('2026-11-01T05:30:00Z')); // 01:30 EDT
    expect(first).toMatchObject({ key: '2026-11-01T01-04:00', start: at('2026-11-01T05:00:00Z'), end: at('2026-11-01T06:00:00Z') });
    const second = ny.window(at('2026-11-01T06:10:00Z')); // 01:10 EST, the same local hour again
    expect(second).toMatchObject({
      key: '2026-11-01T01-05:00',
      previousKey: '2026-11-01T01-04:00',
      start: at('2026-11-01T06:00:00Z'),
      end: at('2026-11-01T07:00:00Z'),
    });
  });

  it('skips the local hour that does not exist when clocks go forward', () => {
    const ny = new PeriodCalculator({ period: 'hour', timezone: 'America/New_York' });
    const w = ny.window(at('2026-03-08T07:30:00Z')); // 03:30 EDT; 02:00-03:00 never happened
    expect(w).toMatchObject({ key: '2026-03-08T03-04:00', previousKey: '2026-03-08T01-05:00', start: at('2026-03-08T07:00:00Z') });
  });

  it('starts hours of half-hour zones on the half hour', () => {
    const w = new PeriodCalculator({ period: 'hour', timezone: 'Asia/Kolkata' }).window(at('2026-11-23T10:10:00Z')); // 15:40 IST
    expect(w).toMatchObject({ key: '2026-11-23T15+05:30', start: at('2026-11-23T09:30:00Z'), end: at('2026-11-23T10:30:00Z') });
  });

  it('numbers custom windows from the epoch', () => {
    const w = new PeriodCalculator({ every: '15m' }).window(at('2026-11-23T14:05:09Z'));
    const index = Math.floor(at('2026-11-23T14:05:09Z') / 900_000);
    expect(w).toMatchObject({ key: `15m-${index}`, previousKey: `15m-${index - 1}`, start: index * 900_000, end: (index + 1) * 900_000 });
    expect(w.start).toBe(at('2026-11-23T14:00:00Z'));
  });

  it('has one lifetime window', () => {
    expect(new PeriodCalculator({ period: 'lifetime' }).window(0)).toMatchObject({ key: 'all', previousKey: undefined, end: Infinity });
  });

  it('moves to the next window once the period ends', () => {
    const calc = new PeriodCalculator({ period: 'hour' });
    const first = calc.window(at('2026-11-23T14:59:59.999Z'));
    expect(calc.window(at('2026-11-23T14:10:00Z'))).toBe(first);
    expect(calc.window(at('2026-11-23T15:00:00Z')).key).toBe('2026-11-23T15');
  });

  it('rejects bad specs with a clear message', () => {
    expect(() => new PeriodCalculator({ every: '15 minutes' })).toThrow(/Invalid every '15 minutes'/);
    expect(() => new PeriodCalculator({ every: '0m' })).toThrow(/Invalid every/);
    expect(() => new PeriodCalculator({ period: 'day', timezone: 'Mars/Base' })).toThrow(/Invalid timezone 'Mars\/Base'/);
  });

  it('parses durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1w')).toBeUndefined();
  });
});
