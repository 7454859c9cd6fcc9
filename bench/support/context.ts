import { RoundSettings } from './measure';
import { LedgerBackend } from './service';

export type BenchMode = 'quick' | 'full';

/** What every section is given: the mode and the knobs it implies. */
export interface BenchContext {
  readonly mode: BenchMode;
  /** Micro-benchmarks (crypto): interleaved rounds. */
  readonly rounds: RoundSettings;
  /** The ledgers the service runs on in the HTTP, scale and memory sections, and why. */
  readonly ledger: { readonly backend: LedgerBackend; readonly reason: string };
  /** Progress lines go to stderr, so stdout is only the markdown report. */
  progress(message: string): void;
}

export function createContext(mode: BenchMode, ledger: BenchContext['ledger']): BenchContext {
  const rounds: RoundSettings =
    mode === 'full' ? { roundMs: 500, rounds: 7, warmupMs: 300 } : { roundMs: 150, rounds: 5, warmupMs: 100 };
  const started = Date.now();
  return {
    mode,
    rounds,
    ledger,
    progress: (message) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
      process.stderr.write(`[bench ${seconds} s] ${message}\n`);
    },
  };
}
