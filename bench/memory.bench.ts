import { BenchContext } from './support/context';
import { pngLike } from './support/files';
import {
  Actors,
  ApiClient,
  createActors,
  EncodedUpload,
  encodeUpload,
  readLatest,
  upload,
} from './support/http-client';
import { residentSet, resetPeakResidentSet } from './support/process-stats';
import { MIB, num, SectionResult, sizeLabel, times } from './support/report';
import { ChildService, serviceSettings, spawnService } from './support/service';

const CHAIN = 'supchain';
/** The largest file the service accepts by default (MAX_UPLOAD_BYTES). */
const FILE_BYTES = 10 * MIB;
const WARMUP_FILE_BYTES = MIB;
/** RSS is read this often while a request runs, beside the kernel's own peak (VmHWM). */
const SAMPLE_INTERVAL_MS = 5;
/** Idle RSS: the mean of readings over this long, after the warm-up settled. */
const IDLE_SETTLE_MS = 2_000;
const IDLE_SAMPLE_MS = 1_000;
/** Target: peak RSS above idle at most this many times the file size. */
const TARGET_PEAK_OVER_FILE = 6;

interface ModeSettings {
  /** Service processes started, one after another (each a fresh chain). */
  readonly services: number;
  /** Upload + retrieve of the file per service (2 × 150 blocks stays under anvil's in-memory history). */
  readonly repetitions: number;
}

const SETTINGS: Record<BenchContext['mode'], ModeSettings> = {
  quick: { services: 1, repetitions: 2 },
  full: { services: 3, repetitions: 2 },
};

interface Measurement {
  /** Service process of the upload: idle RSS, peak during the upload, peak during a retrieve right after it. */
  readonly idleBytes: number;
  readonly uploadPeakBytes: number;
  readonly retrieveAfterUploadPeakBytes: number;
  /** A fresh service process on the same data: idle RSS and peak during the retrieve. */
  readonly retrieveIdleBytes: number;
  readonly retrievePeakBytes: number;
}

const PATIENT = 'BENCH-MEM';
/** Takes the warm-up records, so PATIENT's latest record stays the 10 MiB one. */
const WARMUP_PATIENT = 'BENCH-MEM-WARM';

/**
 * Section 5: peak resident memory of the service process (its own process, as `npm start` runs
 * it) while it takes a 10 MiB upload and while it serves it back, each above the idle RSS of the
 * process it runs in. The retrieve is measured in a freshly started process on the same data, so
 * the upload's not-yet-collected garbage is not counted against it; the retrieve right after the
 * upload, in the same process and above the same idle, is shown beside it.
 */
export async function runMemoryBench(context: BenchContext): Promise<SectionResult> {
  const settings = SETTINGS[context.mode];
  const file = encodeUpload(pngLike(FILE_BYTES), CHAIN);
  const warmup = encodeUpload(pngLike(WARMUP_FILE_BYTES), CHAIN);
  const measurements: Measurement[] = [];
  for (let i = 0; i < settings.services; i++) {
    context.progress(`memory: service ${i + 1} of ${settings.services} (${context.ledger.backend} ledgers)`);
    const dataSettings = serviceSettings(context.ledger.backend);
    const uploads: Omit<Measurement, 'retrieveIdleBytes' | 'retrievePeakBytes'>[] = [];
    let actors: Actors;
    {
      const service = await spawnService(dataSettings);
      const client = new ApiClient(service.baseUrl);
      let keepData = false;
      try {
        actors = await createActors(client, dataSettings.adminToken, 'bench-memory', [PATIENT, WARMUP_PATIENT]);
        await warmUp(client, actors, warmup);
        for (let repetition = 0; repetition < settings.repetitions; repetition++) {
          await new Promise((done) => setTimeout(done, IDLE_SETTLE_MS));
          const idleBytes = await meanRss(service, IDLE_SAMPLE_MS);
          const uploadPeakBytes = await peakDuring(service, () => upload(client, PATIENT, actors.providerToken, file));
          const retrieveAfterUploadPeakBytes = await peakDuring(service, () =>
            readLatest(client, PATIENT, actors.providerToken, CHAIN, FILE_BYTES),
          );
          uploads.push({ idleBytes, uploadPeakBytes, retrieveAfterUploadPeakBytes });
        }
        keepData = true;
      } finally {
        client.close();
        await service.stop({ keepData });
      }
    }
    const service = await spawnService(dataSettings);
    const client = new ApiClient(service.baseUrl);
    try {
      await warmUp(client, actors, warmup);
      for (const measured of uploads) {
        await new Promise((done) => setTimeout(done, IDLE_SETTLE_MS));
        const retrieveIdleBytes = await meanRss(service, IDLE_SAMPLE_MS);
        const retrievePeakBytes = await peakDuring(service, () =>
          readLatest(client, PATIENT, actors.providerToken, CHAIN, FILE_BYTES),
        );
        measurements.push({ ...measured, retrieveIdleBytes, retrievePeakBytes });
      }
    } finally {
      client.close();
      await service.stop();
    }
  }

  const worstUpload = Math.max(...measurements.map((m) => m.uploadPeakBytes - m.idleBytes));
  const worstRetrieve = Math.max(...measurements.map((m) => m.retrievePeakBytes - m.retrieveIdleBytes));
  const worstAfterUpload = Math.max(...measurements.map((m) => m.retrieveAfterUploadPeakBytes - m.idleBytes));
  const mib = (bytes: number): string => `${num(bytes / MIB)} MiB`;
  const ratio = (bytes: number): string => times(bytes / FILE_BYTES);
  const goal = `≤ ${times(TARGET_PEAK_OVER_FILE)} (${mib(TARGET_PEAK_OVER_FILE * FILE_BYTES)})`;

  return {
    title: 'Memory: peak RSS for a 10 MiB record',
    notes: [
      `The service in its own process (src/main.ts via ts-node, ${context.ledger.backend} ledgers). After a ${sizeLabel(WARMUP_FILE_BYTES)} ` +
        `warm-up upload and read, idle RSS is the mean over ${IDLE_SAMPLE_MS / 1000} s; then a ${sizeLabel(FILE_BYTES)} upload (multipart, ` +
        "PNG signature + random bytes), with the kernel's peak (VmHWM, reset before each request) and " +
        `/proc/<pid>/status read every ${SAMPLE_INTERVAL_MS} ms; the higher of the two counts.`,
      'Retrieve: a new service process on the same data (chains, keys, principals), warmed up the same way, its own idle, ' +
        'then the 10 MiB record read back. "right after the upload" is the same read in the upload\'s process, above the ' +
        "idle measured before the upload: it also counts the upload's garbage V8 has not collected yet.",
      `${settings.services} data set(s) × ${settings.repetitions} upload + retrieve; the worst is reported. ` +
        'Only the service process: the anvil chains are processes of their own.',
    ],
    tables: [
      {
        caption: `Resident memory of the service process, ${sizeLabel(FILE_BYTES)} file`,
        headers: [
          'run',
          'idle RSS',
          'upload peak',
          'above idle',
          '× file',
          'retrieve: idle RSS',
          'peak',
          'above idle',
          '× file',
          'retrieve right after the upload, above idle',
        ],
        rows: measurements.map((m, i) => [
          String(i + 1),
          mib(m.idleBytes),
          mib(m.uploadPeakBytes),
          mib(m.uploadPeakBytes - m.idleBytes),
          ratio(m.uploadPeakBytes - m.idleBytes),
          mib(m.retrieveIdleBytes),
          mib(m.retrievePeakBytes),
          mib(m.retrievePeakBytes - m.retrieveIdleBytes),
          ratio(m.retrievePeakBytes - m.retrieveIdleBytes),
          `${mib(m.retrieveAfterUploadPeakBytes - m.idleBytes)} (${ratio(m.retrieveAfterUploadPeakBytes - m.idleBytes)})`,
        ]),
      },
    ],
    targets: [
      {
        target: `peak RSS above idle, ${sizeLabel(FILE_BYTES)} upload`,
        goal,
        measured: `${ratio(worstUpload)} (${mib(worstUpload)})`,
        met: worstUpload <= TARGET_PEAK_OVER_FILE * FILE_BYTES,
      },
      {
        target: `peak RSS above idle, ${sizeLabel(FILE_BYTES)} retrieve`,
        goal,
        measured:
          `${ratio(worstRetrieve)} (${mib(worstRetrieve)}); right after the upload, in its process: ` +
          `${ratio(worstAfterUpload)} (${mib(worstAfterUpload)})`,
        met: worstRetrieve <= TARGET_PEAK_OVER_FILE * FILE_BYTES,
      },
    ],
    data: { fileBytes: FILE_BYTES, backend: context.ledger.backend, measurements },
  };
}

/** Every code path of upload and retrieve runs once before idle is measured. */
async function warmUp(client: ApiClient, actors: Actors, warmup: EncodedUpload): Promise<void> {
  await upload(client, WARMUP_PATIENT, actors.providerToken, warmup);
  await readLatest(client, WARMUP_PATIENT, actors.providerToken, CHAIN, WARMUP_FILE_BYTES);
}

async function meanRss(service: ChildService, durationMs: number): Promise<number> {
  const readings: number[] = [];
  const end = Date.now() + durationMs;
  while (Date.now() < end) {
    readings.push(residentSet(service.pid).rssBytes);
    await new Promise((done) => setTimeout(done, SAMPLE_INTERVAL_MS));
  }
  return readings.reduce((total, value) => total + value, 0) / readings.length;
}

/** Peak RSS while `work` runs: the larger of VmHWM (reset first) and RSS read every few ms. */
async function peakDuring(service: ChildService, work: () => Promise<unknown>): Promise<number> {
  resetPeakResidentSet(service.pid);
  let sampled = residentSet(service.pid).rssBytes;
  const timer = setInterval(() => {
    sampled = Math.max(sampled, residentSet(service.pid).rssBytes);
  }, SAMPLE_INTERVAL_MS);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(sampled, residentSet(service.pid).peakBytes);
}
