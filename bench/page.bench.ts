import { createHash } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from './support/chromium';
import { BenchContext, BenchMode } from './support/context';
import { pngLike } from './support/files';
import { ApiClient, encodeUpload, recordsPath } from './support/http-client';
import { LatencySummary, SampleCounts, summarize, timeOnce } from './support/measure';
import { registerPatientKeys, RegisteredPatient } from './support/patient-keys';
import { failedSection, KIB, MIB, ms, num, SectionResult, sizeLabel, times } from './support/report';
import { serviceSettings, spawnService } from './support/service';

export const PAGE_TITLE = 'Page: sealed read + decrypt in Chromium';
export const PAGE_TARGETS = ["the page's sealed read + decrypt ≥ 0.5× the service's plaintext read at 10 MiB"];

const CHAIN = 'supchain';
const PROVIDER_ID = 'bench-page';
const PATIENT_ID = 'BENCH-PAGE';
const SMALL = KIB;
/** The largest file the service accepts by default (MAX_UPLOAD_BYTES). */
const LARGE = 10 * MIB;
const SIZES = [SMALL, LARGE] as const;
/** Target: the page reads and opens at least this share of the records per second the service serves opened. */
const TARGET_PAGE_OVER_SERVICE = 0.5;

/** Reads per size, page and service taking turns; warm-up reads are not timed. */
const SETTINGS: Record<BenchMode, Record<number, SampleCounts>> = {
  quick: { [SMALL]: { warmup: 10, samples: 100 }, [LARGE]: { warmup: 2, samples: 12 } },
  full: { [SMALL]: { warmup: 20, samples: 400 }, [LARGE]: { warmup: 3, samples: 40 } },
};

/**
 * Runs once in the page: the served client module (/crypto/index.js, the file the patient's page
 * imports) and the patient's keys imported into WebCrypto, non-extractable, kept on globalThis for
 * the reads. JavaScript source, not a TypeScript callback: this file is compiled to CommonJS, which
 * would turn the callback's import() into require().
 */
const PAGE_SETUP = `async ({ encryptionScalar, encryptionPublicKey, signingScalar, signingPublicKey, patientId, token }) => {
  const crypto = await import(new URL('/crypto/index.js', location.href).href);
  const bytes = (hex, length) => crypto.fromHex0x(hex, length);
  const keys = {
    encryption: {
      privateKey: await crypto.importP256PrivateKey(bytes(encryptionScalar, 32), bytes(encryptionPublicKey, 65), 'ECDH', false),
      publicKey: bytes(encryptionPublicKey, 65),
    },
    signing: {
      privateKey: await crypto.importP256PrivateKey(bytes(signingScalar, 32), bytes(signingPublicKey, 65), 'ECDSA', false),
      publicKey: bytes(signingPublicKey, 65),
    },
  };
  // Providers' uploads are sealed to the patient's epoch key (issue 14): the page resolves its epoch
  // keys once from GET …/epochs (as cards/own-records.js does, cached) and tries them when its own key has no slot.
  const authorised = { headers: { Authorization: 'Bearer ' + token } };
  const me = await (await fetch('/api/v1/me', authorised)).json();
  const epochs = await (await fetch('/api/v1/patients/' + encodeURIComponent(patientId) + '/epochs', authorised)).json();
  const epochKeys = await crypto.resolveEpochKeys({
    epochs: epochs.map((epoch) => ({
      index: Number(epoch.index),
      publicKey: bytes(epoch.publicKey, 65),
      slots: epoch.slots.map((slot) => crypto.fromBase64(slot)),
    })),
    recipient: keys.encryption,
    patientKey: bytes(me.patientKey, 32),
  });
  globalThis.emrPageBench = { crypto, keys, epochKeys };
  return true;
}`;

/**
 * One timed read in the page: GET the SealedRecord (JSON) and its content (bytes), as the page does, and open it as the
 * patient's page does (openSealedRecord: signature, content digest and length, data key, header,
 * content). Timed with the page's own clock, so the cost of driving the page is not counted.
 * With `digest`, the SHA-256 of the plaintext comes back too (checked once, untimed).
 */
const PAGE_READ = `async ({ url, token, digest }) => {
  const { crypto, keys, epochKeys } = globalThis.emrPageBench;
  const started = performance.now();
  const response = await fetch(url, {
    headers: { Authorization: 'Bearer ' + token, Accept: 'application/json' },
    cache: 'no-store',
  });
  if (response.status !== 200) throw new Error('sealed read answered ' + response.status);
  const sealed = await response.json();
  const contentUrl = url.replace(/[?].*$/, '') + '/content?chain=' + encodeURIComponent(sealed.chain);
  const bytesAnswer = await fetch(contentUrl, {
    headers: { Authorization: 'Bearer ' + token, Accept: 'application/octet-stream' },
    cache: 'no-store',
  });
  if (bytesAnswer.status !== 200) throw new Error('sealed content answered ' + bytesAnswer.status);
  const content = new Uint8Array(await bytesAnswer.arrayBuffer());
  const fetched = performance.now();
  // As the page: the patient's own key, then each epoch key it holds (newest first), in one open.
  const { bytes } = await crypto.openSealedRecord({ ...sealed, content }, { ...keys, epochKeys });
  const opened = performance.now();
  const sha256 = digest ? crypto.bytesToHex(await crypto.sha256(bytes)) : null;
  return { fetchMs: fetched - started, openMs: opened - fetched, bytes: bytes.length, sha256 };
}`;

interface PageRead {
  readonly fetchMs: number;
  readonly openMs: number;
  readonly bytes: number;
  readonly sha256: string | null;
}

interface StoredRecord {
  readonly bytes: number;
  readonly recordId: string;
  readonly sha256: string;
}

interface ReaderFigures {
  readonly latency: LatencySummary;
  readonly recordsPerSecond: number;
  readonly mibPerSecond: number;
}

type PageFigures = ReaderFigures & { readonly fetch: LatencySummary; readonly open: LatencySummary };

interface SizeRow {
  readonly bytes: number;
  readonly service: ReaderFigures;
  /** GET …/sealed-records/{id} from Node, the answer received but not parsed. */
  readonly sealedAnswer: LatencySummary;
  /** null when the page could not read the record at all (`pageError` says why). */
  readonly page: PageFigures | null;
  readonly pageError: string | null;
  /** Page records/s over service records/s; 0 when the page could not read it. */
  readonly ratio: number;
}

/**
 * Section 7: what the patient's page pays to read a sealed record (issue 13) against what the
 * service paid to serve the same record opened before it. The page fetches the SealedRecord and
 * verifies, digests, unwraps and decrypts it with WebCrypto in Chromium; the service's own open
 * is the provider's plaintext read of the same record on the same chain, timed from Node.
 */
export async function runPageBench(context: BenchContext): Promise<SectionResult> {
  const missing = chromiumMissing();
  if (missing !== null) {
    context.progress(`page: cannot run: ${missing}`);
    return failedSection(PAGE_TITLE, new Error(missing), PAGE_TARGETS);
  }
  const counts = SETTINGS[context.mode];
  context.progress(`page: starting the service (own process, ${context.ledger.backend} ledgers)`);
  const settings = serviceSettings(context.ledger.backend);
  const service = await spawnService(settings);
  const client = new ApiClient(service.baseUrl);
  let browser: Browser | null = null;
  try {
    const { providerToken, patient } = await enrol(client, service.baseUrl, settings.adminToken);
    const records: StoredRecord[] = [];
    for (const bytes of SIZES) {
      context.progress(`page: provider uploads ${sizeLabel(bytes)} (sealed to the patient's key and the provider's)`);
      records.push(await uploadRecord(client, providerToken, bytes));
    }
    context.progress('page: Chromium opens the page and imports the patient keys');
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${service.baseUrl}/`);
    await page.evaluate(call(PAGE_SETUP, keyArguments(patient)));

    const rows: SizeRow[] = [];
    for (const record of records) {
      context.progress(
        `page: ${sizeLabel(record.bytes)}, page and service reads in turn (${counts[record.bytes].samples} each)`,
      );
      rows.push(await measureSize(page, client, service.baseUrl, patient.token, providerToken, record, counts));
    }
    return report(context, counts, rows);
  } finally {
    await browser?.close();
    client.close();
    await service.stop();
  }
}

/** A provider (admin token, claim) who enrols the patient; the patient claims and registers keys with PatientClient. */
async function enrol(
  client: ApiClient,
  baseUrl: string,
  adminToken: string,
): Promise<{ providerToken: string; patient: RegisteredPatient }> {
  const provider = await client.json<{ claimCode: string }>('POST', '/api/v1/providers', adminToken, {
    providerId: PROVIDER_ID,
    name: 'Bench provider (page)',
  });
  const { token: providerToken } = await client.json<{ token: string }>('POST', '/api/v1/claims', null, {
    claimCode: provider.claimCode,
  });
  const enrolled = await client.json<{ claimCode: string }>('POST', '/api/v1/patients', providerToken, {
    patientId: PATIENT_ID,
  });
  return { providerToken, patient: await registerPatientKeys(baseUrl, enrolled.claimCode) };
}

async function uploadRecord(client: ApiClient, providerToken: string, bytes: number): Promise<StoredRecord> {
  const file = pngLike(bytes);
  const encoded = encodeUpload(file, CHAIN);
  const response = await client.send('POST', recordsPath(PATIENT_ID), providerToken, encoded.body, encoded.headers);
  if (response.status !== 201) {
    throw new Error(`upload ${sizeLabel(bytes)}: ${response.status} ${response.body.toString('utf8').slice(0, 300)}`);
  }
  const { recordId } = JSON.parse(response.body.toString('utf8')) as { recordId: string };
  return { bytes, recordId, sha256: createHash('sha256').update(file).digest('hex') };
}

async function measureSize(
  page: Page,
  client: ApiClient,
  baseUrl: string,
  patientToken: string,
  providerToken: string,
  record: StoredRecord,
  counts: Record<number, SampleCounts>,
): Promise<SizeRow> {
  const sealedUrl =
    `${baseUrl}/api/v1/patients/${encodeURIComponent(PATIENT_ID)}/sealed-records/` +
    `${encodeURIComponent(record.recordId)}?chain=${CHAIN}`;
  const plainPath = `${recordsPath(PATIENT_ID)}/${encodeURIComponent(record.recordId)}?chain=${CHAIN}`;
  const pageRead = (digest: boolean): Promise<PageRead> =>
    page.evaluate(call(PAGE_READ, { url: sealedUrl, token: patientToken, digest })) as Promise<PageRead>;
  const serviceRead = async (): Promise<Buffer> => {
    const response = await client.send('GET', plainPath, providerToken);
    if (response.status !== 200) throw new Error(`plaintext read ${sizeLabel(record.bytes)}: ${response.status}`);
    return response.body;
  };
  // The page's own request from Node, answer not parsed: how much of the page's fetch is the
  // service building the SealedRecord (ledger read, base64, JSON) rather than the page.
  const sealedPath = sealedUrl.slice(baseUrl.length);
  const sealedFetch = async (): Promise<void> => {
    const response = await client.send('GET', sealedPath, patientToken);
    if (response.status !== 200) throw new Error(`sealed read ${sizeLabel(record.bytes)}: ${response.status}`);
  };

  // Both readers must get the very file the provider uploaded, or the figures compare nothing.
  // A page that cannot open the record at all is a finding, not a broken bench: the service is
  // still measured and the page's row says what failed.
  let pageError: string | null = null;
  try {
    const checked = await pageRead(true);
    if (checked.bytes !== record.bytes || checked.sha256 !== record.sha256) {
      throw new Error(`the page opened ${checked.bytes} bytes that are not the ${sizeLabel(record.bytes)} uploaded`);
    }
  } catch (error) {
    pageError = firstLine(error);
  }
  if (
    createHash('sha256')
      .update(await serviceRead())
      .digest('hex') !== record.sha256
  ) {
    throw new Error(`the service's plaintext read of ${sizeLabel(record.bytes)} is not the file uploaded`);
  }

  const { warmup, samples } = counts[record.bytes];
  const pageMs: number[] = [];
  const fetchMs: number[] = [];
  const openMs: number[] = [];
  const serviceMs: number[] = [];
  const sealedFetchMs: number[] = [];
  const readers = ['page', 'service', 'sealedFetch'] as const;
  for (let i = 0; i < warmup + samples; i++) {
    // Turns rotate who goes first, so no reader always runs right after another's garbage.
    const order = readers.map((_, k) => readers[(i + k) % readers.length]);
    for (const reader of order) {
      if (reader === 'sealedFetch') {
        const { ms: elapsed } = await timeOnce(sealedFetch);
        if (i >= warmup) sealedFetchMs.push(elapsed);
        continue;
      }
      if (reader === 'page') {
        if (pageError !== null) continue;
        const read = await pageRead(false);
        if (read.bytes !== record.bytes) throw new Error(`the page opened ${read.bytes} bytes, not ${record.bytes}`);
        if (i >= warmup) {
          pageMs.push(read.fetchMs + read.openMs);
          fetchMs.push(read.fetchMs);
          openMs.push(read.openMs);
        }
      } else {
        const { value, ms: elapsed } = await timeOnce(serviceRead);
        if (value.length !== record.bytes)
          throw new Error(`the service sent ${value.length} bytes, not ${record.bytes}`);
        if (i >= warmup) serviceMs.push(elapsed);
      }
    }
  }
  const service = figures(serviceMs, record.bytes);
  const sealedAnswer = summarize(sealedFetchMs);
  if (pageError !== null) return { bytes: record.bytes, service, sealedAnswer, page: null, pageError, ratio: 0 };
  const pageFigures = figures(pageMs, record.bytes);
  return {
    bytes: record.bytes,
    service,
    sealedAnswer,
    page: { ...pageFigures, fetch: summarize(fetchMs), open: summarize(openMs) },
    pageError,
    ratio: pageFigures.recordsPerSecond / service.recordsPerSecond,
  };
}

/**
 * The page's error in one line: its message without Playwright's "page.evaluate: " prefix, and
 * where in the served modules it was thrown (the page's stack comes inside the message).
 */
function firstLine(error: unknown): string {
  const [first, ...stack] = (error instanceof Error ? error.message : String(error)).split('\n');
  const message = first.replace(/^page\.evaluate: /, '');
  const frame = stack
    .map((line) => /^\s*at (\S+) \(https?:\/\/[^/]+(\/[^:)]+):(\d+)/.exec(line))
    .find((match) => match !== null);
  return frame ? `${message} (in ${frame[1]}, ${frame[2]}:${frame[3]})` : message;
}

/** One reader, one read at a time: records/s is reads over the time they took. */
function figures(durationsMs: readonly number[], bytes: number): ReaderFigures {
  const totalMs = durationsMs.reduce((total, value) => total + value, 0);
  const recordsPerSecond = durationsMs.length / (totalMs / 1000);
  return { latency: summarize(durationsMs), recordsPerSecond, mibPerSecond: (recordsPerSecond * bytes) / MIB };
}

function report(context: BenchContext, counts: Record<number, SampleCounts>, rows: readonly SizeRow[]): SectionResult {
  const large = rows.find((row) => row.bytes === LARGE)!;
  const mibs = (value: number): string => `${num(value)} MiB/s`;
  return {
    title: PAGE_TITLE,
    notes: [
      `The service in its own process (src/main.ts via ts-node, ${context.ledger.backend} ledgers). A provider uploads ` +
        `a ${rows.map((row) => sizeLabel(row.bytes)).join(' and a ')} PNG-like file for a patient who registered keys first ` +
        '(PatientClient.registerKeys in Node), so each record is sealed to the patient and the provider (envelope v2).',
      'page: headless Chromium (playwright-core, system chromium) on the service origin imports the served ' +
        '/crypto/index.js and the patient keys (importP256PrivateKey, non-extractable), then per read: fetch ' +
        'GET /patients/{id}/sealed-records/{recordId} (JSON) then …/content (bytes), and openSealedRecord (signature, SHA-256 ' +
        'of the content, data key unwrap, header and content AES-GCM). Timed in the page (performance.now).',
      "service: the provider's plaintext read GET /patients/{id}/records/{recordId} of the same record and chain " +
        '(the service verifies, unwraps and decrypts it), timed from Node over keep-alive node:http.',
      `One read at a time, page and service taking turns (who goes first rotates); per size ` +
        `${rows.map((row) => `${sizeLabel(row.bytes)}: ${counts[row.bytes].warmup} warm-up + ${counts[row.bytes].samples} timed`).join(', ')} ` +
        "reads each, and the page's GET sent from Node as a third turn (answer not parsed), to tell the service's " +
        "share of the page's fetch. Both readers checked once to return the uploaded file (SHA-256). Throughput = reads / time they took.",
    ],
    tables: [
      {
        caption:
          'Reading one record: the page (sealed read, opened in the browser) vs the service (opened in the service)',
        headers: ['size', 'reader', 'records/s', 'MiB/s', 'p50', 'p95', 'page ÷ service (records/s)'],
        rows: rows.flatMap((row) => [
          [
            sizeLabel(row.bytes),
            'service: GET …/records/{id}',
            num(row.service.recordsPerSecond),
            num(row.service.mibPerSecond),
            ms(row.service.latency.p50Ms),
            ms(row.service.latency.p95Ms),
            '—',
          ],
          row.page === null
            ? [
                sizeLabel(row.bytes),
                'page: GET …/sealed-records/{id} + openSealedRecord',
                `could not read it: ${row.pageError}`,
                '—',
                '—',
                '—',
                '—',
              ]
            : [
                sizeLabel(row.bytes),
                'page: GET …/sealed-records/{id} + openSealedRecord',
                num(row.page.recordsPerSecond),
                num(row.page.mibPerSecond),
                ms(row.page.latency.p50Ms),
                ms(row.page.latency.p95Ms),
                times(row.ratio),
              ],
        ]),
      },
      {
        caption: "Where the page's time goes (p50)",
        headers: [
          'size',
          'fetch + JSON parse',
          'the same GET from Node (answer unparsed)',
          'openSealedRecord',
          'open share of the read',
        ],
        rows: rows.map(({ bytes, page, sealedAnswer }) =>
          page === null
            ? [sizeLabel(bytes), '—', ms(sealedAnswer.p50Ms), '—', '—']
            : [
                sizeLabel(bytes),
                ms(page.fetch.p50Ms),
                ms(sealedAnswer.p50Ms),
                ms(page.open.p50Ms),
                `${num((100 * page.open.meanMs) / (page.fetch.meanMs + page.open.meanMs))} % (of the mean)`,
              ],
        ),
      },
    ],
    targets: [
      {
        target: `page throughput at ${sizeLabel(LARGE)}`,
        goal: `≥ ${times(TARGET_PAGE_OVER_SERVICE)} the service's`,
        measured:
          large.page === null
            ? `the page could not read it (${large.pageError}); the service: ${mibs(large.service.mibPerSecond)}`
            : `${times(large.ratio)} (${mibs(large.page.mibPerSecond)} vs ${mibs(large.service.mibPerSecond)})`,
        met: large.ratio >= TARGET_PAGE_OVER_SERVICE,
      },
    ],
    data: { backend: context.ledger.backend, counts, rows },
  };
}

function keyArguments(patient: RegisteredPatient): Record<string, string> {
  const hex = (bytes: Buffer): string => `0x${bytes.toString('hex')}`;
  return {
    patientId: PATIENT_ID,
    token: patient.token,
    encryptionScalar: hex(patient.encryptionScalar),
    encryptionPublicKey: hex(patient.encryptionPublicKey),
    signingScalar: hex(patient.signingScalar),
    signingPublicKey: hex(patient.signingPublicKey),
  };
}

/** `source` (an async function expression) applied to `argument`, as an expression for page.evaluate. */
function call(source: string, argument: unknown): string {
  return `(${source})(${JSON.stringify(argument)})`;
}
