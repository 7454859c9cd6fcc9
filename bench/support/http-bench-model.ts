import { BenchContext } from './context';
import { SampleCounts, summarize, ThroughputSummary } from './measure';
import { KIB, MIB } from './report';

/** Section 3's sizes, settings and row shapes, shared by http.bench.ts, http-bench-paths.ts and http-bench-report.ts. */

export const CHAIN = 'supchain';
export const SMALL = 10 * KIB;
export const LARGE = MIB;
export const CLIENT_COUNTS = [1, 8, 32];
export const MAX_CLIENTS = Math.max(...CLIENT_COUNTS);
export const GIB = 2 ** 30;
/** Target: the service (HTTP and everything behind it) adds at most this much over the adapter at 1 MiB. */
export const TARGET_HTTP_OVERHEAD = 0.15;
/** Target: 32 concurrent clients upload at least this many times as fast as one. */
export const TARGET_CONCURRENCY_SPEEDUP = 5;

export interface ModeSettings {
  /**
   * Per size: how many service starts, and the calls per start. The service restarts between
   * rounds, on empty chains (see runHttpBench): an anvil chain past ~500 blocks writes a full
   * copy of its state per block to disk (see service.ts), so short runs keep that small.
   */
  readonly latency: Record<number, { readonly rounds: number; readonly perRound: SampleCounts }>;
  /** Each client count is measured on a service start of its own (see `latency` for why). */
  readonly throughputWarmupMs: number;
  readonly throughputMs: number;
  /** The section stops if the chains' on-disk history passes this. */
  readonly historyCapBytes: number;
}

export const SETTINGS: Record<BenchContext['mode'], ModeSettings> = {
  quick: {
    latency: {
      [SMALL]: { rounds: 1, perRound: { warmup: 10, samples: 60 } },
      [LARGE]: { rounds: 1, perRound: { warmup: 1, samples: 8 } },
    },
    throughputWarmupMs: 1_000,
    throughputMs: 4_000,
    historyCapBytes: 2 * GIB,
  },
  full: {
    latency: {
      [SMALL]: { rounds: 3, perRound: { warmup: 10, samples: 60 } },
      [LARGE]: { rounds: 3, perRound: { warmup: 1, samples: 8 } },
    },
    throughputWarmupMs: 2_000,
    throughputMs: 10_000,
    historyCapBytes: 10 * GIB,
  },
};

export const PATHS = ['http', 'useCase', 'adapter'] as const;
export type Path = (typeof PATHS)[number];
export type Operation = 'upload' | 'retrieve';
export const OPERATIONS: readonly Operation[] = ['upload', 'retrieve'];

export interface LatencyRow {
  readonly operation: Operation;
  readonly bytes: number;
  readonly byPath: Record<Path, ReturnType<typeof summarize>>;
}

export interface ThroughputRow {
  readonly clients: number;
  readonly http: ThroughputSummary;
  readonly adapter: ThroughputSummary;
  /** Share of one core used during the HTTP run: the service process (with the client), and each anvil chain. */
  readonly httpCpu: { readonly service: number; readonly anvil: number[] };
}

/** What one of the three paths does for one size: upload the i-th time, retrieve what it uploaded last. */
export type PathOps = Record<Operation, (index: number) => Promise<unknown>>;
