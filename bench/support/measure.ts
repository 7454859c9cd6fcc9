/** Timing helpers shared by the bench sections. Every duration is in milliseconds. */

export interface RoundSettings {
  /** Each round repeats the operation for at least this long. */
  readonly roundMs: number;
  /** Rounds per case; the median round is reported, so one noisy round does not move it. */
  readonly rounds: number;
  /** Untimed repetitions before the first round (JIT, caches, lazy imports). */
  readonly warmupMs: number;
}

export type Operation = () => unknown;

export interface OpStats {
  /** Median over rounds of the mean wall time per operation. */
  readonly medianMs: number;
  /**
   * Median over rounds of the process CPU time (user + system, every thread) per operation:
   * the cost on a core. Unlike wall time it does not grow while other processes hold the CPU.
   */
  readonly cpuMedianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly operations: number;
}

/** Awaits only what is a promise, so a synchronous operation is not charged a microtask turn. */
async function settle(result: unknown): Promise<void> {
  if (result instanceof Promise) await result;
}

/** Repeats `op` for at least `ms`; returns the number of operations, the elapsed and the CPU time. */
export async function repeatFor(
  op: Operation,
  ms: number,
): Promise<{ operations: number; elapsedMs: number; cpuMs: number }> {
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  let operations = 0;
  let elapsedMs = 0;
  do {
    await settle(op());
    operations++;
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  } while (elapsedMs < ms);
  const cpu = process.cpuUsage(cpuStart);
  return { operations, elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/**
 * Measures several operations that are compared with each other. Rounds are interleaved
 * (A, B, C, A, B, C, …) so that load from other processes falls on all of them alike and
 * their ratio stays meaningful even when the absolute figures move.
 */
export async function measureInterleaved(
  cases: Readonly<Record<string, Operation>>,
  settings: RoundSettings,
): Promise<Record<string, OpStats>> {
  for (const op of Object.values(cases)) await repeatFor(op, settings.warmupMs);
  const perRound: Record<string, number[]> = {};
  const cpuPerRound: Record<string, number[]> = {};
  const totals: Record<string, number> = {};
  for (let round = 0; round < settings.rounds; round++) {
    for (const [name, op] of Object.entries(cases)) {
      const { operations, elapsedMs, cpuMs } = await repeatFor(op, settings.roundMs);
      (perRound[name] ??= []).push(elapsedMs / operations);
      (cpuPerRound[name] ??= []).push(cpuMs / operations);
      totals[name] = (totals[name] ?? 0) + operations;
    }
  }
  const stats: Record<string, OpStats> = {};
  for (const [name, means] of Object.entries(perRound)) {
    stats[name] = {
      medianMs: median(means),
      cpuMedianMs: median(cpuPerRound[name]),
      minMs: Math.min(...means),
      maxMs: Math.max(...means),
      operations: totals[name],
    };
  }
  return stats;
}

/** Wall time of one call. */
export async function timeOnce<T>(op: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const start = process.hrtime.bigint();
  const value = await op();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

export interface LatencySummary {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly meanMs: number;
}

export interface SampleCounts {
  readonly warmup: number;
  readonly samples: number;
}

/**
 * Times `op` `counts.samples` times, one after another, after `counts.warmup` untimed calls.
 * `op` gets the call's index (warm-up calls included), so each call can use inputs made for it.
 */
export async function sampleLatency(
  op: (index: number) => Promise<unknown>,
  counts: SampleCounts,
): Promise<LatencySummary> {
  for (let i = 0; i < counts.warmup; i++) await op(i);
  const durations: number[] = [];
  for (let i = counts.warmup; i < counts.warmup + counts.samples; i++) durations.push((await timeOnce(() => op(i))).ms);
  return summarize(durations);
}

export interface ThroughputSummary {
  readonly clients: number;
  readonly completed: number;
  readonly perSecond: number;
  readonly latency: LatencySummary;
}

/**
 * `clients` concurrent loops, each calling `work(client)` back to back: first for `warmupMs`
 * (not counted), then for `durationMs`. Operations started in the window count; the rate is
 * over the time until the last of them finished.
 */
export async function measureThroughput(
  clients: number,
  work: (client: number) => Promise<unknown>,
  warmupMs: number,
  durationMs: number,
): Promise<ThroughputSummary> {
  const loop = async (client: number, until: number, durations: number[] | null): Promise<void> => {
    while (Date.now() < until) {
      const { ms } = await timeOnce(() => work(client));
      durations?.push(ms);
    }
  };
  const warmEnd = Date.now() + warmupMs;
  await Promise.all(Array.from({ length: clients }, (_, client) => loop(client, warmEnd, null)));
  const durations: number[] = [];
  const start = process.hrtime.bigint();
  const end = Date.now() + durationMs;
  await Promise.all(Array.from({ length: clients }, (_, client) => loop(client, end, durations)));
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  return {
    clients,
    completed: durations.length,
    perSecond: durations.length / (elapsedMs / 1000),
    latency: summarize(durations),
  };
}

export function summarize(durations: readonly number[]): LatencySummary {
  const sum = durations.reduce((total, value) => total + value, 0);
  return {
    samples: durations.length,
    p50Ms: percentile(durations, 50),
    p95Ms: percentile(durations, 95),
    meanMs: sum / durations.length,
  };
}

/** Nearest-rank percentile (the smallest value with at least p % of samples at or below it). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
