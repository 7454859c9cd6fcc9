import { BenchContext } from './support/context';
import { pngLike } from './support/files';
import { ApiClient, createActors, encodeUpload, readLatest, upload } from './support/http-client';
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
  readonly idleBytes: number;
  readonly uploadPeakBytes: number;
  readonly retrievePeakBytes: number;
}

/**
 * Section 5: peak resident memory of the service process (its own process, as `npm start` runs
 * it) while it takes a 10 MiB upload and serves it back, above its idle RSS.
 */
export async function runMemoryBench(context: BenchContext): Promise<SectionResult> {
  const settings = SETTINGS[context.mode];
  const file = encodeUpload(pngLike(FILE_BYTES), CHAIN);
  const warmup = encodeUpload(pngLike(WARMUP_FILE_BYTES), CHAIN);
  const measurements: Measurement[] = [];
  for (let i = 0; i < settings.services; i++) {
    context.progress(`memory: service ${i + 1} of ${settings.services} (${context.ledger.backend} ledgers)`);
    const service = await spawnService(serviceSettings(context.ledger.backend));
    const client = new ApiClient(service.baseUrl);
    try {
      const actors = await createActors(client, service.settings.adminToken, 'bench-memory', ['BENCH-MEM']);
      const patientToken = actors.patients.get('BENCH-MEM')!;
      // Warm-up: every code path of upload and retrieve has run once before idle is measured.
      await upload(client, 'BENCH-MEM', actors.providerToken, warmup);
      await readLatest(client, 'BENCH-MEM', patientToken, CHAIN, WARMUP_FILE_BYTES);
      for (let repetition = 0; repetition < settings.repetitions; repetition++) {
        await new Promise((done) => setTimeout(done, IDLE_SETTLE_MS));
        const idleBytes = await meanRss(service, IDLE_SAMPLE_MS);
        const uploadPeakBytes = await peakDuring(service, () =>
          upload(client, 'BENCH-MEM', actors.providerToken, file),
        );
        const retrievePeakBytes = await peakDuring(service, () =>
          readLatest(client, 'BENCH-MEM', patientToken, CHAIN, FILE_BYTES),
        );
        measurements.push({ idleBytes, uploadPeakBytes, retrievePeakBytes });
      }
    } finally {
      client.close();
      await service.stop();
    }
  }

  const aboveIdle = (peak: 'uploadPeakBytes' | 'retrievePeakBytes'): number =>
    Math.max(...measurements.map((m) => m[peak] - m.idleBytes));
  const worst = Math.max(aboveIdle('uploadPeakBytes'), aboveIdle('retrievePeakBytes'));
  const mib = (bytes: number): string => `${num(bytes / MIB)} MiB`;
  const ratio = (bytes: number): string => times(bytes / FILE_BYTES);

  return {
    title: 'Memory: peak RSS for a 10 MiB record',
    notes: [
      `The service in its own process (src/main.ts via ts-node, ${context.ledger.backend} ledgers). After a ${sizeLabel(WARMUP_FILE_BYTES)} ` +
        `warm-up upload and read, idle RSS is the mean over ${IDLE_SAMPLE_MS / 1000} s; then a ${sizeLabel(FILE_BYTES)} upload (multipart, ` +
        "PNG signature + random bytes) and its retrieval, each with the kernel's peak (VmHWM, reset before each request) and " +
        `/proc/<pid>/status read every ${SAMPLE_INTERVAL_MS} ms; the higher of the two counts.`,
      `${settings.services} service process(es) × ${settings.repetitions} upload + retrieve; the worst is reported. ` +
        'Only the service process: the anvil chains are processes of their own.',
    ],
    tables: [
      {
        caption: `Resident memory of the service process, ${sizeLabel(FILE_BYTES)} file`,
        headers: ['run', 'idle RSS', 'upload peak', 'above idle', '× file', 'retrieve peak', 'above idle', '× file'],
        rows: measurements.map((m, i) => [
          String(i + 1),
          mib(m.idleBytes),
          mib(m.uploadPeakBytes),
          mib(m.uploadPeakBytes - m.idleBytes),
          ratio(m.uploadPeakBytes - m.idleBytes),
          mib(m.retrievePeakBytes),
          mib(m.retrievePeakBytes - m.idleBytes),
          ratio(m.retrievePeakBytes - m.idleBytes),
        ]),
      },
    ],
    targets: [
      {
        target: `peak RSS above idle, ${sizeLabel(FILE_BYTES)} upload or retrieve`,
        goal: `≤ ${times(TARGET_PEAK_OVER_FILE)} (${mib(TARGET_PEAK_OVER_FILE * FILE_BYTES)})`,
        measured: `${ratio(worst)} (${mib(worst)})`,
        met: worst <= TARGET_PEAK_OVER_FILE * FILE_BYTES,
      },
    ],
    data: { fileBytes: FILE_BYTES, backend: context.ledger.backend, measurements },
  };
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
