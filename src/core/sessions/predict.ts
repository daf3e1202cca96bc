/**
 * Overflow prediction: from successive checks of one session (time, totalTokens), its growth rate
 * and the hours until totalTokens reaches the context window at that rate. Pure (no clock, no I/O)
 * so it is unit-tested exactly.
 *
 * Rules: only fresh counts are samples; a drop in tokens (compaction, reset) starts the series
 * again, so a rate never spans a compaction; the rate is the least-squares slope of the samples of
 * the last `windowMs` (default 24 h) and needs at least two samples `minSpanMs` (default 5 min)
 * apart; a session that does not grow has no prediction (never "0 hours").
 */

export interface TokenSample {
  /** ms since the epoch */
  t: number;
  tokens: number;
}

export interface Prediction {
  growthTokensPerHour: number;
  /** Absent when the session is not growing. */
  hoursToWindow?: number;
}

export interface PredictOptions {
  windowMs?: number;
  minSpanMs?: number;
}

const HOUR_MS = 3_600_000;

/** The samples after the last drop in tokens, within the window ending at the newest sample. */
export function currentSeries(samples: readonly TokenSample[], windowMs = 24 * HOUR_MS): TokenSample[] {
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  let start = 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.tokens < sorted[i - 1]!.tokens) start = i;
  const series = sorted.slice(start);
  const newest = series[series.length - 1]?.t ?? 0;
  return series.filter((s) => s.t >= newest - windowMs);
}

export function predictOverflow(samples: readonly TokenSample[], contextTokens: number | undefined, options: PredictOptions = {}): Prediction | undefined {
  const series = currentSeries(samples, options.windowMs);
  if (series.length < 2) return undefined;
  const first = series[0]!;
  const last = series[series.length - 1]!;
  if (last.t - first.t < (options.minSpanMs ?? 5 * 60_000)) return undefined;
  const n = series.length;
  const meanT = series.reduce((a, s) => a + s.t, 0) / n;
  const meanY = series.reduce((a, s) => a + s.tokens, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of series) {
    num += (s.t - meanT) * (s.tokens - meanY);
    den += (s.t - meanT) ** 2;
  }
  if (den === 0) return undefined;
  const perMs = num / den;
  const growthTokensPerHour = Math.round(perMs * HOUR_MS);
  if (perMs <= 0 || contextTokens === undefined || contextTokens <= 0) return { growthTokensPerHour: Math.max(0, growthTokensPerHour) };
  const remaining = Math.max(0, contextTokens - last.tokens);
  return { growthTokensPerHour, hoursToWindow: Math.round((remaining / perMs / HOUR_MS) * 10) / 10 };
}

/** "about N hours" rounding used by every face: < 1 h in tenths, otherwise whole hours. */
export function roundHours(hours: number): number {
  return hours < 1 ? Math.round(hours * 10) / 10 : Math.round(hours);
}
