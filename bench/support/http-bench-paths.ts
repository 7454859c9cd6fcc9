import { randomBytes } from 'node:crypto';
import { GetRecordUseCase } from '../../src/application/records/get-record.use-case';
import { UploadRecordUseCase } from '../../src/application/records/upload-record.use-case';
import { LedgerRecord } from '../../src/domain/emr-record';
import { Ledgers } from '../../src/domain/ledgers';
import { PatientId } from '../../src/domain/patient-id';
import { EmrRepository } from '../../src/domain/ports/emr-repository.port';
import { Pseudonymizer } from '../../src/domain/ports/pseudonymizer.port';
import { Principal } from '../../src/domain/principal';
import { pngLike } from './files';
import { freshRecord } from './fresh-record';
import { ApiClient, createActors, encodeUpload, readLatest, upload } from './http-client';
import { CHAIN, MAX_CLIENTS, Path, PathOps, SMALL } from './http-bench-model';
import { SampleCounts } from './measure';
import { InProcessService } from './service';

const PATIENT_KEY_BYTES = 32;

/** The three ways to upload and retrieve a file of `bytes`, each for a patient of its own. */
export async function latencyOps(
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
      retrieve: () => readLatest(client, httpPatient, actors.providerToken, CHAIN, bytes),
    },
    useCase: {
      upload: useCaseUpload,
      retrieve: async () => {
        // The uploading provider reads, as over HTTP: a patient is served sealed records only (issue 13).
        const read = await getRecord.execute({
          actor: provider,
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

/** Client i's next upload over HTTP (one patient per client), or the adapter's next append (one pseudonym per client). */
export async function throughputWork(
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

function appendFresh(repository: EmrRepository, template: LedgerRecord, patientKey: Uint8Array): Promise<LedgerRecord> {
  return repository.append(freshRecord(template, patientKey));
}
