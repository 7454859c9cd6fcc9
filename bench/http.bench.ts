import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { GetRecordUseCase } from '../src/application/records/get-record.use-case';
import { UploadRecordUseCase } from '../src/application/records/upload-record.use-case';
import { LedgerRecord, NewLedgerRecord } from '../src/domain/emr-record';
import { Ledgers } from '../src/domain/ledgers';
import { PatientId } from '../src/domain/patient-id';
import { EmrRepository } from '../src/domain/ports/emr-repository.port';
import { Pseudonymizer } from '../src/domain/ports/pseudonymizer.port';
import { Principal } from '../src/domain/principal';
import { RecordId } from '../src/domain/record-id';
import { BenchContext } from './support/context';
import { pngLike } from './support/files';
import { ApiClient, createActors, encodeUpload, readLatest, upload } from './support/http-client';
import { measureThroughput, SampleCounts, summarize, ThroughputSummary, timeOnce } from './support/measure';
import { childProcesses, cpuShareDuring } from './support/process-stats';
import { KIB, MIB, ms, num, percent, SectionResult, sizeLabel, TargetCheck, times } from './support/report';
import {
  AnvilHistoryGuard,
  InProcessService,
  removeAnvilHistory,
  removeInProcessData,
  startInProcessService,
} from './support/service';

const CHAIN = 'supchain';
const SMALL = 10 * KIB;
const LARGE = MIB;
const CLIENT_COUNTS = [1, 8, 32];
const MAX_CLIENTS = Math.max(...CLIENT_COUNTS);
const RECORD_ID_BYTES = 32;
const PATIENT_KEY_BYTES = 32;
const GIB = 2 ** 30;
/** Where the embedded chains keep their state under DATA_DIR (embedded-ledgers.ts). */
const CHAIN_STATE_DIR = 'chains';
/** Target: the service (HTTP and everything behind it) adds at most this much over the adapter at 1 MiB. */
const TARGET_HTTP_OVERHEAD = 0.15;
/** Target: 32 concurrent clients upload at least this many times as fast as one. */
const TARGET_CONCURRENCY_SPEEDUP = 5;

interface ModeSettings {
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

const SETTINGS: Record<BenchContext['mode'], ModeSettings> = {
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

const PATHS = ['http', 'useCase', 'adapter'] as const;
type Path = (typeof PATHS)[number];
type Operation = 'upload' | 'retrieve';
const OPERATIONS: readonly Operation[] = ['upload', 'retrieve'];

interface LatencyRow {
  readonly operation: Operation;
  readonly bytes: number;
  readonly byPath: Record<Path, ReturnType<typeof summarize>>;
}

interface ThroughputRow {
  readonly clients: number;
  readonly http: ThroughputSummary;
  readonly adapter: ThroughputSummary;
  /** Share of one core used during the HTTP run: the service process (with the client), and each anvil chain. */
  readonly httpCpu: { readonly service: number; readonly anvil: number[] };
}

/** What one of the three paths does for one size: upload the i-th time, retrieve what it uploaded last. */
type PathOps = Record<Operation, (index: number) => Promise<unknown>>;

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
    return report(context, settings, [...small, ...large], throughput, historyBytes);
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

/** The three ways to upload and retrieve a file of `bytes`, each for a patient of its own. */
async function latencyOps(
  service: InProcessService,
  client: ApiClient,
  bytes: number,
  tag: string,
  counts: SampleCounts,
): Promise<Record<Path, PathOps>> {
  const httpPatient = `BENCH-HTTP-${tag}`;
  const useCasePatient = `BENCH-USECASE-${tag}`;
  const actors = await createActors(client, service.settings.adminToken, `bench-latency-${tag}`, [
    httpPatient,
    useCasePatient,
  ]);
  const uploadRecord = service.app.get(UploadRecordUseCase, { strict: false });
  const getRecord = service.app.get(GetRecordUseCase, { strict: false });
  const repository = service.app.get(Ledgers, { strict: false }).get(CHAIN);
  const pseudonymizer = service.app.get(Pseudonymizer, { strict: false });
  const provider: Principal = { role: 'provider', id: actors.providerId, createdAt: new Date() };
  const patient: Principal = { role: 'patient', id: useCasePatient, createdAt: new Date() };
  const file = pngLike(bytes);
  const encoded = encodeUpload(file, CHAIN);
  const useCaseUpload = (): Promise<unknown> =>
    uploadRecord.execute({
      patientId: useCasePatient,
      chain: CHAIN,
      fileName: 'scan.png',
      claimedType: 'image/png',
      bytes: new Uint8Array(file.buffer, file.byteOffset, file.length),
      actor: provider,
    });
  // The adapter stores records shaped like the service's (a real sealed one is the template),
  // under a pseudonym of its own, with fresh ciphertext bytes each time.
  await useCaseUpload();
  const template = (await repository.latest(pseudonymizer.patientKey(PatientId.parse(useCasePatient))))!;
  const adapterPatientKey = new Uint8Array(randomBytes(PATIENT_KEY_BYTES));
  const adapterRecords = Array.from({ length: counts.warmup + counts.samples }, () =>
    freshRecord(template, adapterPatientKey),
  );
  return {
    http: {
      upload: () => upload(client, httpPatient, actors.providerToken, encoded),
      retrieve: () => readLatest(client, httpPatient, actors.patients.get(httpPatient)!, CHAIN, bytes),
    },
    useCase: {
      upload: useCaseUpload,
      retrieve: async () => {
        const read = await getRecord.execute({
          actor: patient,
          patientId: useCasePatient,
          chain: CHAIN,
          recordId: 'latest',
        });
        if (read.bytes.length !== bytes) throw new Error(`use case read ${read.bytes.length} bytes, expected ${bytes}`);
      },
    },
    adapter: {
      upload: (i) => repository.append(adapterRecords[i]),
      retrieve: async () => {
        const content = await repository.readContent((await repository.latest(adapterPatientKey))!);
        if (content.length !== template.contentLength) throw new Error(`adapter read ${content.length} bytes`);
      },
    },
  };
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

/** Client i's next upload over HTTP (one patient per client), or the adapter's next append (one pseudonym per client). */
async function throughputWork(
  service: InProcessService,
  client: ApiClient,
  path: 'http' | 'adapter',
): Promise<(client: number) => Promise<unknown>> {
  // Principals outlive a restart (DATA_DIR stays): every start enrols its own.
  const tag = randomBytes(4).toString('hex');
  const patientIds = Array.from({ length: MAX_CLIENTS }, (_, i) => `BENCH-LOAD-${tag}-${i}`);
  const providerId = `bench-load-${tag}`;
  const actors = await createActors(client, service.settings.adminToken, providerId, patientIds);
  const encoded = encodeUpload(pngLike(SMALL), CHAIN);
  if (path === 'http') return (i) => upload(client, patientIds[i], actors.providerToken, encoded);
  // The adapter appends records of the service's shape: one real upload is the template.
  await upload(client, patientIds[0], actors.providerToken, encoded);
  const repository = service.app.get(Ledgers, { strict: false }).get(CHAIN);
  const pseudonymizer = service.app.get(Pseudonymizer, { strict: false });
  const template = (await repository.latest(pseudonymizer.patientKey(PatientId.parse(patientIds[0]))))!;
  const adapterKeys = patientIds.map(() => new Uint8Array(randomBytes(PATIENT_KEY_BYTES)));
  return (i) => appendFresh(repository, template, adapterKeys[i]);
}

function freshRecord(template: LedgerRecord, patientKey: Uint8Array): NewLedgerRecord {
  const content = new Uint8Array(randomBytes(template.contentLength));
  return {
    recordId: RecordId.fromBytes(new Uint8Array(randomBytes(RECORD_ID_BYTES))),
    patientKey,
    content,
    contentSha256: new Uint8Array(createHash('sha256').update(content).digest()),
    sealedHeader: template.sealedHeader,
    keyEnvelope: template.keyEnvelope,
    signature: template.signature,
    signerKeyId: template.signerKeyId,
  };
}

function appendFresh(repository: EmrRepository, template: LedgerRecord, patientKey: Uint8Array): Promise<LedgerRecord> {
  return repository.append(freshRecord(template, patientKey));
}

function report(
  context: BenchContext,
  settings: ModeSettings,
  rows: LatencyRow[],
  throughput: ThroughputRow[],
  historyBytes: number[],
): SectionResult {
  const backend = context.ledger.backend;
  const overhead = (operation: Operation): number => {
    const row = rows.find((candidate) => candidate.operation === operation && candidate.bytes === LARGE)!;
    return row.byPath.http.p50Ms / row.byPath.adapter.p50Ms - 1;
  };
  const single = throughput.find((row) => row.clients === 1)!;
  const most = throughput.find((row) => row.clients === MAX_CLIENTS)!;
  const speedup = most.http.perSecond / single.http.perSecond;
  const memoryCaveat = backend === 'memory' ? ' (in-memory ledger: the adapter only copies bytes)' : '';
  const signed = (ratio: number): string => `${ratio >= 0 ? '+' : '−'}${percent(Math.abs(ratio))}`;
  const targets: TargetCheck[] = [
    ...OPERATIONS.map((operation) => ({
      target: `HTTP ${operation} over the adapter alone, ${sizeLabel(LARGE)}, p50${memoryCaveat}`,
      goal: `≤ +${percent(TARGET_HTTP_OVERHEAD)}`,
      measured: signed(overhead(operation)),
      met: overhead(operation) <= TARGET_HTTP_OVERHEAD,
    })),
    {
      target: `HTTP upload throughput, ${MAX_CLIENTS} clients vs 1, ${sizeLabel(SMALL)}`,
      goal: `≥ ${times(TARGET_CONCURRENCY_SPEEDUP)}`,
      measured: `${times(speedup)} (${num(most.http.perSecond)} vs ${num(single.http.perSecond)} uploads/s)`,
      met: speedup >= TARGET_CONCURRENCY_SPEEDUP,
    },
  ];
  const cpu = (share: number): string => `${num(share * 100, 2)} %`;
  const large = settings.latency[LARGE];
  const small = settings.latency[SMALL];
  const history = historyBytes.reduce((total, bytes) => total + bytes, 0);

  return {
    title: 'End to end over HTTP vs the adapter',
    notes: [
      `Ledgers: ${backend === 'embedded' ? 'the embedded anvil chains (LEDGER_BACKEND=embedded)' : 'in-memory (LEDGER_BACKEND=memory)'}; ` +
        `${context.ledger.reason}.`,
      'The service is the real AppModule built in the bench process, listening on a local port; a keep-alive node:http client ' +
        `in the same process. A provider uploads (multipart \`file\` + \`chain=${CHAIN}\`), the patient reads \`/records/latest\` ` +
        '(patient reads are not access-logged). Files: PNG signature + random bytes. RATE_LIMIT_PER_MINUTE is at its maximum so nothing is throttled.',
      'use case = `UploadRecordUseCase` / `GetRecordUseCase` called directly (sniffing, access checks, HPKE, ECDSA, SHA-256, ledger; no HTTP). ' +
        'adapter = the ledger repository alone: `EmrRepository.append` of a record of the same size (fresh ciphertext bytes each time), ' +
        '`latest` + `readContent` to retrieve. The three paths take turns call by call on the same ledgers.',
      `Latency is one request at a time, per path: ${sizeLabel(SMALL)} ${small.rounds * small.perRound.samples} samples ` +
        `(${small.rounds} service start(s), ${small.perRound.warmup} warm-up each), ${sizeLabel(LARGE)} ${large.rounds * large.perRound.samples} ` +
        `(${large.rounds} start(s), ${large.perRound.warmup} warm-up each). Throughput: each client uploads back to back for ` +
        `${settings.throughputMs / 1000} s after ${settings.throughputWarmupMs / 1000} s warm-up, one patient per client; then the same ` +
        'with adapter appends. CPU = share of one core during the HTTP run.',
      ...(backend === 'embedded'
        ? [
            'The service restarts between phases, each on empty chains (anvil recomputes the state root over its whole state per ' +
              'block, so a chain filled by earlier phases would slow later ones). Without --prune-history anvil would also write ' +
              `a full copy of its state per block to disk past ~500 blocks; this section's chains wrote ${num(history / GIB)} GiB ` +
              "that way (in the bench's temp dir, removed).",
          ]
        : []),
    ],
    tables: [
      {
        caption: 'Latency (ms), one request at a time',
        headers: [
          'operation',
          'size',
          'HTTP p50',
          'HTTP p95',
          'use case p50',
          'adapter p50',
          'adapter p95',
          'HTTP ÷ adapter',
          'HTTP ÷ use case',
        ],
        rows: rows.map((row) => [
          row.operation,
          sizeLabel(row.bytes),
          num(row.byPath.http.p50Ms),
          num(row.byPath.http.p95Ms),
          num(row.byPath.useCase.p50Ms),
          num(row.byPath.adapter.p50Ms),
          num(row.byPath.adapter.p95Ms),
          times(row.byPath.http.p50Ms / row.byPath.adapter.p50Ms),
          times(row.byPath.http.p50Ms / row.byPath.useCase.p50Ms),
        ]),
      },
      {
        caption: `Upload throughput, ${sizeLabel(SMALL)}`,
        headers: [
          'clients',
          'HTTP uploads/s',
          'HTTP p50',
          'HTTP p95',
          'vs 1 client',
          'service CPU',
          ...(backend === 'embedded' ? ['anvil CPU (both chains)'] : []),
          'adapter appends/s',
          'adapter vs 1',
        ],
        rows: throughput.map((row) => [
          String(row.clients),
          num(row.http.perSecond),
          ms(row.http.latency.p50Ms),
          ms(row.http.latency.p95Ms),
          times(row.http.perSecond / single.http.perSecond),
          cpu(row.httpCpu.service),
          ...(backend === 'embedded' ? [cpu(row.httpCpu.anvil.reduce((total, share) => total + share, 0))] : []),
          num(row.adapter.perSecond),
          times(row.adapter.perSecond / single.adapter.perSecond),
        ]),
      },
    ],
    targets,
    data: { backend, latency: rows, throughput, anvilHistoryBytes: historyBytes },
  };
}
