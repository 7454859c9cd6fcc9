import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { provideBundle } from '../test/support/fhir/mhd';
import { BenchContext } from './support/context';
import { pngLike } from './support/files';
import { ApiClient, createActors, encodeUpload, readLatest, upload } from './support/http-client';
import { SampleCounts, summarize, timeOnce } from './support/measure';
import { MIB, ms, num, SectionResult, sizeLabel, TargetCheck, times } from './support/report';
import { removeAnvilHistory, removeInProcessData, startInProcessService } from './support/service';

const CHAIN = 'supchain';
const BYTES = MIB;
const FHIR_JSON = 'application/fhir+json';
/** Where the embedded chains keep their state under DATA_DIR (embedded-ledgers.ts). */
const CHAIN_STATE_DIR = 'chains';
/** Target: the FHIR face costs at most this much more than the REST API for the same file. */
const TARGET_RATIO = 1.15;

const COUNTS: Record<BenchContext['mode'], SampleCounts> = {
  quick: { warmup: 1, samples: 8 },
  full: { warmup: 2, samples: 24 },
};

type Operation = 'upload' | 'retrieve';
type Face = 'rest' | 'fhir';
const OPERATIONS: readonly Operation[] = ['upload', 'retrieve'];
const FACES: readonly Face[] = ['rest', 'fhir'];
const LABELS: Record<Operation, Record<Face, string>> = {
  upload: { rest: 'REST POST /records (multipart)', fhir: 'ITI-65 POST /fhir/R4 (transaction Bundle, Binary base64)' },
  retrieve: { rest: 'REST GET /records/latest', fhir: 'ITI-68 GET attachment.url' },
};

/**
 * Section: the FHIR face (IHE MHD) beside the REST API for the same 1 MiB file, on the same
 * service and ledgers in the same run. Uploads alternate call by call (REST, then ITI-65 with one
 * DocumentReference and its Binary), then reads alternate (REST latest, then ITI-68 of the
 * document the ITI-65 stored), so a ledger that slows as it fills weighs on both alike. Bundles
 * are encoded before the clock starts, as the REST multipart body is.
 */
export async function runFhirBench(context: BenchContext): Promise<SectionResult> {
  const counts = COUNTS[context.mode];
  const calls = counts.warmup + counts.samples;
  context.progress(`fhir: service in-process, ${context.ledger.backend} ledgers`);
  const service = await startInProcessService(context.ledger.backend);
  const client = new ApiClient(service.baseUrl);
  try {
    const restPatient = 'BENCH-FHIR-REST';
    const fhirPatient = 'BENCH-FHIR-MHD';
    const actors = await createActors(client, service.settings.adminToken, 'bench-fhir', [restPatient, fhirPatient]);
    const token = actors.providerToken;
    const file = pngLike(BYTES);
    const multipart = encodeUpload(file, CHAIN);
    const bundles = Array.from({ length: calls }, () =>
      Buffer.from(
        JSON.stringify(
          provideBundle({
            patientId: fhirPatient,
            documents: [{ bytes: file, contentType: 'image/png', title: 'scan.png' }],
          }),
        ),
      ),
    );

    const durations: Record<Operation, Record<Face, number[]>> = {
      upload: { rest: [], fhir: [] },
      retrieve: { rest: [], fhir: [] },
    };
    let documentUrl: string | undefined;
    /** The document the first ITI-65 stored, found once by ITI-67 (outside the timed ITI-68 calls after the first). */
    const fhirDocument = async (): Promise<string> => (documentUrl ??= await attachmentUrl(client, token, fhirPatient));
    const ops: Record<Operation, Record<Face, (index: number) => Promise<unknown>>> = {
      upload: {
        rest: () => upload(client, restPatient, token, multipart),
        fhir: (index) => provide(client, token, bundles[index]),
      },
      retrieve: {
        rest: () => readLatest(client, restPatient, token, CHAIN, BYTES),
        fhir: async () => retrieveDocument(client, token, await fhirDocument(), BYTES),
      },
    };

    for (const operation of OPERATIONS) {
      context.progress(`fhir: ${operation} ${sizeLabel(BYTES)}, REST and FHIR in turn, ${calls} calls each`);
      for (let i = 0; i < calls; i++) {
        for (const face of FACES) {
          const { ms: elapsed } = await timeOnce(() => ops[operation][face](i));
          if (i >= counts.warmup) durations[operation][face].push(elapsed);
        }
      }
    }
    return report(counts, durations, service.ledgerLabel);
  } finally {
    client.close();
    await service.close();
    removeAnvilHistory(service.settings);
    rmSync(join(service.settings.dataDir, CHAIN_STATE_DIR), { recursive: true, force: true });
    removeInProcessData();
  }
}

/** ITI-65; throws unless the service answered 200 with a transaction-response. */
async function provide(client: ApiClient, token: string, bundle: Buffer): Promise<void> {
  const response = await client.send('POST', '/fhir/R4', token, bundle, {
    'content-type': FHIR_JSON,
    accept: FHIR_JSON,
  });
  if (response.status !== 200) {
    throw new Error(`ITI-65: ${response.status} ${response.body.toString('utf8').slice(0, 300)}`);
  }
}

/** ITI-67: the attachment URL of the patient's first DocumentReference, as a path on the service. */
async function attachmentUrl(client: ApiClient, token: string, patientId: string): Promise<string> {
  const search = await client.send(
    'GET',
    `/fhir/R4/DocumentReference?patient=${patientId}&_count=1`,
    token,
    undefined,
    {
      accept: FHIR_JSON,
    },
  );
  const bundle = JSON.parse(search.body.toString('utf8')) as {
    entry?: { resource: { content: { attachment: { url: string } }[] } }[];
  };
  const url = bundle.entry?.[0]?.resource.content[0].attachment.url;
  if (search.status !== 200 || !url) throw new Error(`ITI-67: ${search.status}, no DocumentReference`);
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/** ITI-68; throws unless it answered 200 with `expectedBytes` bytes. */
async function retrieveDocument(client: ApiClient, token: string, path: string, expectedBytes: number): Promise<void> {
  const response = await client.send('GET', path, token);
  if (response.status !== 200 || response.body.length !== expectedBytes) {
    throw new Error(`ITI-68: ${response.status}, ${response.body.length} bytes`);
  }
}

function report(
  counts: SampleCounts,
  durations: Record<Operation, Record<Face, number[]>>,
  ledgerLabel: string,
): SectionResult {
  const rows: string[][] = [];
  const targets: TargetCheck[] = [];
  const data: Record<string, unknown> = {};
  for (const operation of OPERATIONS) {
    const rest = summarize(durations[operation].rest);
    const fhir = summarize(durations[operation].fhir);
    const ratio = fhir.p50Ms / rest.p50Ms;
    rows.push([LABELS[operation].rest, ms(rest.p50Ms), ms(rest.p95Ms), '1×']);
    rows.push([LABELS[operation].fhir, ms(fhir.p50Ms), ms(fhir.p95Ms), times(ratio)]);
    targets.push({
      target: `${operation === 'upload' ? 'ITI-65' : 'ITI-68'} vs REST ${operation}, ${sizeLabel(BYTES)} (p50)`,
      goal: `≤ ${num(TARGET_RATIO)}×`,
      measured: times(ratio),
      met: ratio <= TARGET_RATIO,
    });
    data[operation] = { rest, fhir, ratio };
  }
  return {
    title: 'FHIR (IHE MHD) vs REST for the same file',
    notes: [
      `${sizeLabel(BYTES)} PNG on ${CHAIN}, ${ledgerLabel}; ${counts.samples} timed calls per path after ${counts.warmup} warm-up, REST and FHIR taking turns call by call.`,
      'ITI-65 sends one DocumentReference and its Binary (base64 in the JSON Bundle, encoded before timing) with the SubmissionSet; ITI-68 reads the document one ITI-65 stored.',
      'ITI-65 also parses ~1.4 MB of JSON and base64-decodes the document, which a multipart body does not need; on the embedded chains the ledger write hides that, on the in-memory ledger (--ledger=memory) it shows as a few ms per MiB.',
    ],
    tables: [{ headers: ['path', 'p50', 'p95', 'vs REST'], rows }],
    targets,
    data,
  };
}
