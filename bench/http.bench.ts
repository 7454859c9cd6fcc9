import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BenchContext } from './support/context';
import { latencyOps, throughputWork } from './support/http-bench-paths';
import { httpReport } from './support/http-bench-report';
import {
  CLIENT_COUNTS,
  LatencyRow,
  LARGE,
  ModeSettings,
  Operation,
  OPERATIONS,
  Path,
  PATHS,
  SETTINGS,
  SMALL,
  ThroughputRow,
} from './support/http-bench-model';
import { ApiClient } from './support/http-client';
import { measureThroughput, summarize, ThroughputSummary, timeOnce } from './support/measure';
import { childProcesses, cpuShareDuring } from './support/process-stats';
import { SectionResult, sizeLabel } from './support/report';
import {
  AnvilHistoryGuard,
  InProcessService,
  removeAnvilHistory,
  removeInProcessData,
  startInProcessService,
} from './support/service';

/** Where the embedded chains keep their state under DATA_DIR (embedded-ledgers.ts). */
const CHAIN_STATE_DIR = 'chains';

/** One start of the in-process service; `guard` is checked between operations. */
type Phase = <T>(name: string, work: (service: InProcessService, guard: AnvilHistoryGuard) => Promise<T>) => Promise<T>;

/**
 * Section 3: upload and retrieve over HTTP, beside the same work through the use cases
 * (in-process, no HTTP) and through the ledger adapter alone. The three paths take turns call
 * by call against the same service and ledgers, so a ledger that slows as it fills weighs on
 * every path alike.
 */
export async function runHttpBench(context: BenchContext): Promise<SectionResult> {
  const settings = SETTINGS[context.mode];
  const backend = context.ledger.backend;
  const historyBytes: number[] = [];
  const phase: Phase = async (name, work) => {
    context.progress(`http: ${name} (service in-process, ${backend} ledgers)`);
    const service = await startInProcessService(backend);
    const guard = new AnvilHistoryGuard(service.settings, settings.historyCapBytes);
    try {
      return await work(service, guard);
    } finally {
      historyBytes.push(guard.bytes());
      await service.close();
      removeAnvilHistory(service.settings);
      // The next phase starts on empty chains. anvil recomputes the state root over the chain's
      // whole state for every block, so its work per upload grows with everything stored before:
      // a phase run on the records of the phases before it would measure a slower ledger, and the
      // client counts, measured one after another, would be compared across chain sizes.
      rmSync(join(service.settings.dataDir, CHAIN_STATE_DIR), { recursive: true, force: true });
    }
  };
  try {
    const small = await measureLatencies(context, phase, settings, SMALL);
    const throughput = await measureThroughputs(phase, settings);
    // 1 MiB last: the chain's state grows by ~2 MiB per MiB stored, and its periodic dumps slow it.
    const large = await measureLatencies(context, phase, settings, LARGE);
    return httpReport(context, settings, [...small, ...large], throughput, historyBytes);
  } finally {
    removeInProcessData();
  }
}

async function measureLatencies(
  context: BenchContext,
  phase: Phase,
  settings: ModeSettings,
  bytes: number,
): Promise<LatencyRow[]> {
  const { rounds, perRound } = settings.latency[bytes];
  const durations: Record<Operation, Record<Path, number[]>> = {
    upload: { http: [], useCase: [], adapter: [] },
    retrieve: { http: [], useCase: [], adapter: [] },
  };
  for (let round = 0; round < rounds; round++) {
    await phase(`${sizeLabel(bytes)} latency, round ${round + 1} of ${rounds}`, async (service, guard) => {
      const client = new ApiClient(service.baseUrl);
      try {
        const ops = await latencyOps(service, client, bytes, `${bytes}-${round}`, perRound);
        for (const operation of OPERATIONS) {
          context.progress(
            `http: ${operation} ${sizeLabel(bytes)} over HTTP, through the use case and the adapter, in turn`,
          );
          for (let i = 0; i < perRound.warmup + perRound.samples; i++) {
            for (const path of PATHS) {
              guard.check();
              const { ms: elapsed } = await timeOnce(() => ops[path][operation](i));
              if (i >= perRound.warmup) durations[operation][path].push(elapsed);
            }
          }
        }
      } finally {
        client.close();
      }
    });
  }
  return OPERATIONS.map((operation) => ({
    operation,
    bytes,
    byPath: {
      http: summarize(durations[operation].http),
      useCase: summarize(durations[operation].useCase),
      adapter: summarize(durations[operation].adapter),
    },
  }));
}

async function measureThroughputs(phase: Phase, settings: ModeSettings): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  for (const clients of CLIENT_COUNTS) {
    const measured: Partial<Record<'http' | 'adapter', ThroughputSummary>> = {};
    let httpCpu: ThroughputRow['httpCpu'] = { service: 0, anvil: [] };
    for (const path of ['http', 'adapter'] as const) {
      await phase(`${path} upload throughput, ${clients} client(s), ${sizeLabel(SMALL)}`, async (service, guard) => {
        const client = new ApiClient(service.baseUrl);
        try {
          const work = await throughputWork(service, client, path);
          const guarded = (i: number): Promise<unknown> => {
            guard.check();
            return work(i);
          };
          const anvils = childProcesses(process.pid, 'anvil');
          const { value, shares } = await cpuShareDuring([process.pid, ...anvils], () =>
            measureThroughput(clients, guarded, settings.throughputWarmupMs, settings.throughputMs),
          );
          measured[path] = value;
          if (path === 'http') httpCpu = { service: shares[0], anvil: shares.slice(1) };
        } finally {
          client.close();
        }
      });
    }
    rows.push({ clients, http: measured.http!, adapter: measured.adapter!, httpCpu });
  }
  return rows;
}
