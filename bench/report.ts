import type { Measurement } from './load';
import { COMPARISONS, VARIANT_IDS, VARIANT_LABELS, VariantId } from './variants';

export interface VariantSummary {
  requestsPerSecond: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
  rpsSpreadPct: number;
  rounds: number[];
}

export interface RatioRow {
  name: string;
  rps: number;
  cpu: number;
  target: number | null;
  rpsMet: boolean | null;
  cpuMet: boolean | null;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarize(samples: Record<VariantId, Measurement[]>): Record<VariantId, VariantSummary> {
  const out = {} as Record<VariantId, VariantSummary>;
  for (const id of VARIANT_IDS) {
    const runs = samples[id];
    const rps = runs.map((m) => m.requestsPerSecond);
    const mid = median(rps);
    out[id] = {
      requestsPerSecond: mid,
      p99Ms: median(runs.map((m) => m.p99Ms)),
      cpuMicrosPerRequest: median(runs.map((m) => m.cpuMicrosPerRequest)),
      rpsSpreadPct: mid > 0 ? ((Math.max(...rps) - Math.min(...rps)) / mid) * 100 : 0,
      rounds: rps,
    };
  }
  return out;
}

export function ratios(summary: Record<VariantId, VariantSummary>): RatioRow[] {
  return COMPARISONS.map(({ subject, baseline, target }) => {
    const rps = summary[subject].requestsPerSecond / summary[baseline].requestsPerSecond;
    const cpu = summary[baseline].cpuMicrosPerRequest / summary[subject].cpuMicrosPerRequest;
    return {
      name: `${subject}/${baseline}`,
      rps,
      cpu,
      target,
      rpsMet: target === null ? null : rps >= target,
      cpuMet: target === null ? null : cpu >= target,
    };
  });
}

function table(header: string[], rows: string[][], leftColumns = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function variantTable(summary: Record<VariantId, VariantSummary>): string {
  const rows = VARIANT_IDS.map((id) => {
    const s = summary[id];
    return [
      `(${id}) ${VARIANT_LABELS[id]}`,
      s.requestsPerSecond.toFixed(0),
      `${s.rpsSpreadPct.toFixed(1)}%`,
      s.p99Ms.toFixed(1),
      s.cpuMicrosPerRequest.toFixed(1),
      s.rounds.map((r) => r.toFixed(0)).join(' '),
    ];
  });
  return table(['variant', 'req/s', 'range', 'p99 ms', 'CPU µs/req', 'req/s per round'], rows);
}

function verdict(met: boolean | null): string {
  return met === null ? '—' : met ? 'met' : 'MISSED';
}

export function ratioTable(rows: RatioRow[]): string {
  return table(
    ['ratio', 'req/s', 'CPU (inverse)', 'target', 'req/s', 'CPU'],
    rows.map((r) => [
      r.name,
      r.rps.toFixed(3),
      r.cpu.toFixed(3),
      r.target === null ? '(none)' : `≥ ${r.target.toFixed(2)}`,
      verdict(r.rpsMet),
      verdict(r.cpuMet),
    ]),
  );
}

export function jsonLine(meta: Record<string, unknown>, summary: Record<VariantId, VariantSummary>, rows: RatioRow[]): string {
  const round = (n: number, digits: number) => Number(n.toFixed(digits));
  const variants = Object.fromEntries(
    VARIANT_IDS.map((id) => {
      const s = summary[id];
      return [id, { rps: round(s.requestsPerSecond, 0), p99Ms: round(s.p99Ms, 2), cpuUsPerReq: round(s.cpuMicrosPerRequest, 2), rpsPerRound: s.rounds.map((r) => round(r, 0)) }];
    }),
  );
  const ratioJson = rows.map((r) => ({ ratio: r.name, rps: round(r.rps, 3), cpu: round(r.cpu, 3), target: r.target, rpsMet: r.rpsMet, cpuMet: r.cpuMet }));
  return JSON.stringify({ ...meta, variants, ratios: ratioJson });
}
