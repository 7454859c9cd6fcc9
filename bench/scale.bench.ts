import { BenchContext } from './support/context';
import { ApiClient, Actors, createActors, listFirstPage, readLatest } from './support/http-client';
import { LatencySummary, summarize, timeOnce } from './support/measure';
import { num, SectionResult, TargetCheck, times } from './support/report';
import { APPENDS_PER_START, CHAIN, fill, FillStep, RECORD_FILE_BYTES } from './support/scale-fill';
import { InProcessService, removeAnvilHistory, removeInProcessData, startInProcessService } from './support/service';

const HISTORY_SIZES = [10, 1_000, 10_000];
const PATIENT_COUNT = 10_000;
/**
 * `limit` of the list reads, and how many of the newest records are real (sealed, signed): a
 * page opens every item on it. The smallest history's size, so every page holds as many items
 * and the comparison is of like with like.
 */
const PAGE_SIZE = Math.min(...HISTORY_SIZES);
/** Target: the read at the largest scale within this factor of the smallest. */
const TARGET_FLATNESS = 1.5;

interface ModeSettings {
  readonly warmup: number;
  readonly samples: number;
}

const SETTINGS: Record<BenchContext['mode'], ModeSettings> = {
  quick: { warmup: 5, samples: 30 },
  full: { warmup: 10, samples: 100 },
};

interface Subject {
  readonly label: string;
  readonly patientId: string;
  /** Records in the patient's history. */
  readonly records: number;
}

interface SubjectResult extends Subject {
  readonly list: LatencySummary;
  readonly latest: LatencySummary;
}

const FIRST = 'SCALE-FIRST';
const LAST = 'SCALE-LAST';
const historyPatient = (records: number): string => `SCALE-H${records}`;

/**
 * Section 4: the first page of a history and its latest record, for a patient with 10, 1,000 and
 * 10,000 records, and for the 10,000th patient on the ledger beside the first. The ledger is
 * filled in-process straight through the repository port (the newest page through the upload
 * use case, so it is real); the reads go over HTTP.
 */
export async function runScaleBench(context: BenchContext): Promise<SectionResult> {
  const settings = SETTINGS[context.mode];
  // ~21,000 appends take a chain far longer than quick mode has: quick fills the in-memory ledger.
  const memoryLedgers = context.ledger.backend === 'memory' || context.mode === 'quick';
  const subjects: Subject[] = [
    ...HISTORY_SIZES.map((records) => ({
      label: `${records.toLocaleString('en-US')} records`,
      patientId: historyPatient(records),
      records,
    })),
    { label: 'patient #1', patientId: FIRST, records: 1 },
    { label: `patient #${PATIENT_COUNT.toLocaleString('en-US')}`, patientId: LAST, records: 1 },
  ];
  const plan: FillStep[] = [
    { kind: 'upload', patientId: FIRST, count: 1 },
    { kind: 'filler', patientId: null, count: PATIENT_COUNT - 2 },
    { kind: 'upload', patientId: LAST, count: 1 },
    ...HISTORY_SIZES.flatMap((records): FillStep[] => [
      { kind: 'filler', patientId: historyPatient(records), count: records - Math.min(PAGE_SIZE, records) },
      { kind: 'upload', patientId: historyPatient(records), count: Math.min(PAGE_SIZE, records) },
    ]),
  ];

  let service = await startInProcessService(context.ledger.backend, { memoryLedgers });
  const ledgerLabel = service.ledgerLabel;
  const restart = async (): Promise<void> => {
    await service.close();
    removeAnvilHistory(service.settings);
    service = await startInProcessService(context.ledger.backend, { memoryLedgers });
  };
  try {
    const actors = await withClient(service, (client) =>
      createActors(
        client,
        service.settings.adminToken,
        'bench-scale',
        subjects.map((subject) => subject.patientId),
      ),
    );
    context.progress(`scale: filling the ledger (${ledgerLabel})`);
    const started = Date.now();
    await fill(context, plan, actors, () => service, memoryLedgers ? null : restart);
    const fillSeconds = (Date.now() - started) / 1000;

    context.progress('scale: reading over HTTP (list first page, latest), every subject in turn');
    const results = await withClient(service, (client) => readAll(client, subjects, actors, settings));
    return report(context, settings, ledgerLabel, fillSeconds, results);
  } finally {
    await service.close();
    removeInProcessData();
  }
}

async function withClient<T>(service: InProcessService, work: (client: ApiClient) => Promise<T>): Promise<T> {
  const client = new ApiClient(service.baseUrl);
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

/** Every subject in turn, list then latest, so load from elsewhere falls on all of them alike. */
async function readAll(
  client: ApiClient,
  subjects: readonly Subject[],
  actors: Actors,
  settings: ModeSettings,
): Promise<SubjectResult[]> {
  const durations = new Map(
    subjects.map((subject) => [subject.patientId, { list: [] as number[], latest: [] as number[] }]),
  );
  for (let i = 0; i < settings.warmup + settings.samples; i++) {
    for (const subject of subjects) {
      // The uploading provider reads: a patient is served sealed records only (issue 13).
      const token = actors.providerToken;
      const pageItems = Math.min(PAGE_SIZE, subject.records);
      const list = await timeOnce(() => listFirstPage(client, subject.patientId, token, CHAIN, pageItems));
      const latest = await timeOnce(() => readLatest(client, subject.patientId, token, CHAIN, RECORD_FILE_BYTES));
      if (i < settings.warmup) continue;
      durations.get(subject.patientId)!.list.push(list.ms);
      durations.get(subject.patientId)!.latest.push(latest.ms);
    }
  }
  return subjects.map((subject) => ({
    ...subject,
    list: summarize(durations.get(subject.patientId)!.list),
    latest: summarize(durations.get(subject.patientId)!.latest),
  }));
}

function report(
  context: BenchContext,
  settings: ModeSettings,
  ledgerLabel: string,
  fillSeconds: number,
  results: SubjectResult[],
): SectionResult {
  const find = (patientId: string): SubjectResult => results.find((result) => result.patientId === patientId)!;
  const smallest = find(historyPatient(HISTORY_SIZES[0]));
  const largest = find(historyPatient(HISTORY_SIZES[HISTORY_SIZES.length - 1]));
  const check = (from: SubjectResult, to: SubjectResult, read: 'list' | 'latest'): TargetCheck => {
    const ratio = to[read].p50Ms / from[read].p50Ms;
    return {
      target: `${read === 'list' ? 'list first page' : 'retrieve latest'}: ${from.label} → ${to.label}, p50`,
      goal: `≤ ${times(TARGET_FLATNESS)}`,
      measured: `${times(ratio)} (${num(from[read].p50Ms)} → ${num(to[read].p50Ms)} ms)`,
      met: ratio <= TARGET_FLATNESS,
    };
  };
  const quickOnMemory = context.ledger.backend === 'embedded' && context.mode === 'quick';

  return {
    title: 'Scale: reads stay flat as histories and patients grow',
    notes: [
      `Ledger: **${ledgerLabel}**` +
        (quickOnMemory
          ? ' — quick mode: ~21,000 appends to the embedded chain take far longer than quick mode has; `--full` fills the chain'
          : '') +
        `. Filled in ${num(fillSeconds)} s.`,
      "Filled in-process through the repository port: filler records (a real record's sealed fields, fresh random content, never " +
        `opened), then, newest, ${PAGE_SIZE} real ones through UploadRecordUseCase (${RECORD_FILE_BYTES}-byte files). ` +
        `Patient #1 gets its record first, then ${(PATIENT_COUNT - 2).toLocaleString('en-US')} other patients (on the ledger only, not ` +
        `principals) one record each, then patient #${PATIENT_COUNT.toLocaleString('en-US')}.` +
        (quickOnMemory || context.ledger.backend === 'memory'
          ? ''
          : ` The service restarts every ${APPENDS_PER_START} appends (anvil's on-disk block history, see section 3).`),
      `Reads over HTTP with the uploading provider's token (a patient is served sealed records only): \`GET /records?limit=${PAGE_SIZE}\` (every item on the page verified, its header ` +
        `opened) and \`GET /records/latest\`; every subject in turn, ${settings.samples} samples each after ${settings.warmup} warm-up.`,
    ],
    tables: [
      {
        caption: 'Read latency over HTTP (ms)',
        headers: ['subject', 'list p50', 'list p95', 'latest p50', 'latest p95'],
        rows: results.map((result) => [
          result.label,
          num(result.list.p50Ms),
          num(result.list.p95Ms),
          num(result.latest.p50Ms),
          num(result.latest.p95Ms),
        ]),
      },
    ],
    targets: [
      check(smallest, largest, 'list'),
      check(smallest, largest, 'latest'),
      check(find(FIRST), find(LAST), 'list'),
      check(find(FIRST), find(LAST), 'latest'),
    ],
    data: { ledger: ledgerLabel, fillSeconds, results },
  };
}
