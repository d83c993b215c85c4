import type { Measurement } from './load';
import { Comparison, shown, TARGETS, VARIANT_IDS, VARIANT_LABELS, VariantId } from './variants';

export interface VariantSummary {
  /** Median over the rounds. */
  requestsPerSecond: number;
  /** Median over the rounds. */
  cpuMicrosPerRequest: number;
  /** Percentiles of every response of every round, pooled. */
  p50Ms: number;
  p99Ms: number;
  rpsSpreadPct: number;
  rounds: number[];
  connections: number;
}

export interface TargetRow {
  comparison: Comparison;
  /** The ratio (req/s) or the added p50 (ms). */
  measured: number;
  /** The CPU ratio beside a req/s ratio (baseline µs ÷ subject µs). */
  cpu?: number;
  met: boolean;
  /** How far past the target (positive) or short of it (negative): ratio points, or ms. */
  margin: number;
}

export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function summarize(
  samples: Record<VariantId, Measurement[]>,
  connections: (id: VariantId) => number,
): Record<VariantId, VariantSummary> {
  const out = {} as Record<VariantId, VariantSummary>;
  for (const id of VARIANT_IDS) {
    const runs = samples[id];
    const rps = runs.map((m) => m.requestsPerSecond);
    const mid = median(rps);
    const pooled = new Float64Array(runs.reduce((n, m) => n + m.latenciesMs.length, 0));
    let at = 0;
    for (const m of runs) {
      pooled.set(m.latenciesMs, at);
      at += m.latenciesMs.length;
    }
    pooled.sort();
    out[id] = {
      requestsPerSecond: mid,
      cpuMicrosPerRequest: median(runs.map((m) => m.cpuMicrosPerRequest)),
      p50Ms: percentile(pooled, 50),
      p99Ms: percentile(pooled, 99),
      rpsSpreadPct: mid > 0 ? ((Math.max(...rps) - Math.min(...rps)) / mid) * 100 : 0,
      rounds: rps,
      connections: connections(id),
    };
  }
  return out;
}

export function evaluate(summary: Record<VariantId, VariantSummary>): TargetRow[] {
  return TARGETS.map((comparison) => {
    const subject = summary[comparison.subject];
    const baseline = summary[comparison.baseline];
    if (comparison.kind === 'added-p50') {
      const measured = subject.p50Ms - baseline.p50Ms;
      return { comparison, measured, met: measured < comparison.targetMs, margin: comparison.targetMs - measured };
    }
    const measured = subject.requestsPerSecond / baseline.requestsPerSecond;
    const cpu = baseline.cpuMicrosPerRequest / subject.cpuMicrosPerRequest;
    return { comparison, measured, cpu, met: measured >= comparison.target, margin: measured - comparison.target };
  });
}

function table(header: string[], rows: string[][], leftColumns = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const ratio = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(3));

export function variantTable(summary: Record<VariantId, VariantSummary>): string {
  const a = summary.a as VariantSummary | undefined;
  const a2 = summary.a2 as VariantSummary | undefined;
  const rows = VARIANT_IDS.map((id) => {
    const s = summary[id];
    return [
      `(${shown(id)}) ${VARIANT_LABELS[id]}`,
      String(s.connections),
      s.requestsPerSecond.toFixed(0),
      `${s.rpsSpreadPct.toFixed(1)}%`,
      s.p50Ms.toFixed(2),
      s.p99Ms.toFixed(2),
      s.cpuMicrosPerRequest.toFixed(1),
      ratio(a && s.requestsPerSecond / a.requestsPerSecond),
      ratio(a2 && s.requestsPerSecond / a2.requestsPerSecond),
      ratio(a && a.cpuMicrosPerRequest / s.cpuMicrosPerRequest),
      ratio(a2 && a2.cpuMicrosPerRequest / s.cpuMicrosPerRequest),
      s.rounds.map((r) => r.toFixed(0)).join(' '),
    ];
  });
  return table(
    ['variant', 'conns', 'req/s', 'range', 'p50 ms', 'p99 ms', 'CPU µs/req', '÷a', "÷a'", 'CPU a/x', "CPU a'/x", 'req/s per round'],
    rows,
  );
}

function describeTarget(c: Comparison): string {
  return c.kind === 'ratio'
    ? `${shown(c.subject)} / ${shown(c.baseline)} ≥ ${c.target.toFixed(2)}`
    : `${shown(c.subject)} p50 − ${shown(c.baseline)} p50 < ${c.targetMs} ms`;
}

export function targetTable(rows: TargetRow[]): string {
  return table(
    ['target', 'measured', 'CPU ratio', 'verdict', 'margin', 'what'],
    rows.map((r) => {
      const ms = r.comparison.kind === 'added-p50';
      return [
        describeTarget(r.comparison),
        ms ? `${r.measured.toFixed(3)} ms` : r.measured.toFixed(3),
        r.cpu === undefined ? '' : r.cpu.toFixed(3),
        r.met ? 'met' : 'MISSED',
        ms
          ? `${r.margin >= 0 ? '+' : ''}${r.margin.toFixed(3)} ms`
          : `${r.margin >= 0 ? '+' : ''}${r.margin.toFixed(3)} (${((r.measured / (r.comparison as { target: number }).target - 1) * 100).toFixed(1)}%)`,
        r.comparison.what,
      ];
    }),
  );
}

export function jsonLine(meta: Record<string, unknown>, summary: Record<VariantId, VariantSummary>, rows: TargetRow[]): string {
  const round = (n: number, digits: number) => Number(n.toFixed(digits));
  const variants = Object.fromEntries(
    VARIANT_IDS.map((id) => {
      const s = summary[id];
      return [
        shown(id),
        {
          rps: round(s.requestsPerSecond, 0),
          p50Ms: round(s.p50Ms, 3),
          p99Ms: round(s.p99Ms, 3),
          cpuUsPerReq: round(s.cpuMicrosPerRequest, 1),
          connections: s.connections,
          rpsPerRound: s.rounds.map((r) => round(r, 0)),
        },
      ];
    }),
  );
  const targets = rows.map((r) => ({
    target: describeTarget(r.comparison),
    measured: round(r.measured, 3),
    ...(r.cpu === undefined ? {} : { cpu: round(r.cpu, 3) }),
    met: r.met,
    margin: round(r.margin, 3),
  }));
  return JSON.stringify({ ...meta, variants, targets });
}
