/**
 * Measurement helpers for `npm run bench`: each benchmark times our code and a baseline in the
 * same run, interleaved (the shared machines swing ±30 %, so only same-run ratios mean anything),
 * and prints `name: ours X ms vs baseline Y ms → ratio R`. Benchmarks report; they never fail on timings.
 */
export interface Comparison {
  name: string;
  ours: () => Promise<unknown>;
  baseline: () => Promise<unknown>;
  /** Measured runs of each (after one warm-up run of each). Default 7. */
  runs?: number;
  /** Runs of `ours` per baseline run (for fast operations vs slow baselines). Default 1. */
  oursPerRun?: number;
  /** An absolute goal for `ours`, e.g. `{ maxMs: 10 }`, or a ratio goal `{ maxRatio: 1.2 }`. */
  target?: { maxMs?: number; maxRatio?: number };
  baselineLabel?: string;
}

export interface ComparisonResult {
  name: string;
  oursMs: number;
  baselineMs: number;
  ratio: number;
  met?: boolean;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function format(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

export async function compare(c: Comparison): Promise<ComparisonResult> {
  const runs = c.runs ?? 7;
  const perRun = c.oursPerRun ?? 1;
  await c.ours();
  await c.baseline();
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < perRun; j++) ours.push(await time(c.ours));
    baseline.push(await time(c.baseline));
  }
  const oursMs = median(ours);
  const baselineMs = median(baseline);
  const ratio = oursMs / baselineMs;
  const result: ComparisonResult = { name: c.name, oursMs, baselineMs, ratio };
  let goal = '';
  if (c.target?.maxMs !== undefined) {
    result.met = oursMs <= c.target.maxMs;
    goal = ` (target ≤ ${c.target.maxMs} ms: ${result.met ? 'met' : 'MISSED'})`;
  } else if (c.target?.maxRatio !== undefined) {
    result.met = ratio <= c.target.maxRatio;
    goal = ` (target ≤ ${c.target.maxRatio}×: ${result.met ? 'met' : 'MISSED'})`;
  }
  const label = c.baselineLabel ? ` [${c.baselineLabel}]` : '';
  console.log(`${c.name}: ours ${format(oursMs)} ms vs baseline${label} ${format(baselineMs)} ms → ratio ${ratio.toFixed(3)}${goal}`);
  return result;
}
