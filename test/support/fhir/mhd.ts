import { createHash, randomUUID } from 'node:crypto';
import { id as eventTopic } from 'ethers';
import { rpc } from '../chain-scan';

/**
 * What an MHD Document Source sends (IHE ITI-65 Provide Document Bundle, Minimal metadata), built
 * from the IHE MHD 4.2 definitions rather than from the service's code, so the tests and the bench
 * hold the service to the profile: a `transaction` Bundle with one SubmissionSet `List`, and per
 * document a `DocumentReference` whose `attachment.url` points at a `Binary` entry
 * (`urn:uuid:` fullUrls), each entry a `POST` of its resource type.
 */
export interface ProvidedDocument {
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly title: string;
  /** Replaces the attachment's base64 SHA-1 (a hash that does not match). */
  readonly hash?: string;
  /** Leave the Binary this document's attachment points at out of the Bundle. */
  readonly withoutBinary?: boolean;
}

export interface ProvideBundleOptions {
  readonly patientId: string;
  readonly documents: readonly ProvidedDocument[];
  /** `transaction` unless a test sends something else (e.g. `batch`). */
  readonly type?: string;
  /** Leave the SubmissionSet List out. */
  readonly withoutSubmissionSet?: boolean;
  /** Extra DocumentReference extensions (e.g. the service's ledger extension). */
  readonly documentExtensions?: readonly Record<string, unknown>[];
}

export const MHD_MINIMAL_PROVIDE_BUNDLE =
  'https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Minimal.ProvideBundle';
export const MHD_MINIMAL_SUBMISSION_SET =
  'https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Minimal.SubmissionSet';
export const MHD_MINIMAL_DOCUMENT_REFERENCE =
  'https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Minimal.DocumentReference';
const RFC3986 = 'urn:ietf:rfc:3986';

/** An OID under 2.25 (ITU-T X.667: a UUID as one decimal arc), as MHD's uniqueId wants (`urn:oid:`). */
export function uuidOid(): string {
  return `urn:oid:2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString(10)}`;
}

export function sha1Base64(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('base64');
}

/** An ITI-65 Provide Document Bundle (Minimal metadata) for `options.documents`, in that order after the SubmissionSet. */
export function provideBundle(options: ProvideBundleOptions): Record<string, unknown> {
  const patient = { reference: `Patient/${options.patientId}` };
  const now = new Date().toISOString();
  const entries: Record<string, unknown>[] = [];
  const documentUrls: string[] = [];
  const binaries: Record<string, unknown>[] = [];
  for (const document of options.documents) {
    const documentUrl = `urn:uuid:${randomUUID()}`;
    const binaryUrl = `urn:uuid:${randomUUID()}`;
    documentUrls.push(documentUrl);
    entries.push({
      fullUrl: documentUrl,
      resource: {
        resourceType: 'DocumentReference',
        meta: { profile: [MHD_MINIMAL_DOCUMENT_REFERENCE] },
        ...(options.documentExtensions ? { extension: options.documentExtensions } : {}),
        masterIdentifier: { use: 'usual', system: RFC3986, value: uuidOid() },
        identifier: [{ use: 'official', system: RFC3986, value: documentUrl }],
        status: 'current',
        subject: patient,
        date: now,
        content: [
          {
            attachment: {
              contentType: document.contentType,
              url: binaryUrl,
              size: document.bytes.length,
              hash: document.hash ?? sha1Base64(document.bytes),
              title: document.title,
              creation: now,
            },
          },
        ],
      },
      request: { method: 'POST', url: 'DocumentReference' },
    });
    if (!document.withoutBinary) {
      binaries.push({
        fullUrl: binaryUrl,
        resource: {
          resourceType: 'Binary',
          contentType: document.contentType,
          data: Buffer.from(document.bytes).toString('base64'),
        },
        request: { method: 'POST', url: 'Binary' },
      });
    }
  }
  const submissionSet = {
    fullUrl: `urn:uuid:${randomUUID()}`,
    resource: {
      resourceType: 'List',
      meta: { profile: [MHD_MINIMAL_SUBMISSION_SET] },
      extension: [
        {
          url: 'https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId',
          valueIdentifier: { value: 'urn:oid:1.3.6.1.4.1.21367.2017.2.1.99' },
        },
      ],
      identifier: [
        { use: 'usual', system: RFC3986, value: uuidOid() },
        { use: 'official', system: RFC3986, value: `urn:uuid:${randomUUID()}` },
      ],
      status: 'current',
      mode: 'working',
      code: {
        coding: [{ system: 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes', code: 'submissionset' }],
      },
      subject: patient,
      date: now,
      entry: documentUrls.map((reference) => ({ item: { reference } })),
    },
    request: { method: 'POST', url: 'List' },
  };
  return {
    resourceType: 'Bundle',
    meta: { profile: [MHD_MINIMAL_PROVIDE_BUNDLE] },
    type: options.type ?? 'transaction',
    entry: [...(options.withoutSubmissionSet ? [] : [submissionSet]), ...entries, ...binaries],
  };
}

/** keccak256 of EmrRegistry's `RecordStored` event: one log per record committed on a ledger. */
const RECORD_STORED_TOPIC = eventTopic('RecordStored(bytes32,bytes32,address,uint256,address,uint256,bytes32)');

/** How many records a chain has committed (every patient), counted from its `RecordStored` logs. */
export async function countRecordsOnChain(rpcUrl: string): Promise<number> {
  const logs = await rpc<unknown[]>(rpcUrl, 'eth_getLogs', [
    { fromBlock: '0x0', toBlock: 'latest', topics: [RECORD_STORED_TOPIC] },
  ]);
  return logs.length;
}

/**
 * The embedded chains' RPC addresses, read from the service's own log lines ("anvil for supchain
 * (chain id …) listening on http://…"): the service picks free ports and prints them.
 */
export function embeddedRpcUrls(logs: string): Record<'supchain' | 'medchain', string> {
  const find = (chain: string): string => {
    const match = new RegExp(`anvil for ${chain} \\(chain id \\d+\\) listening on (http://[^,\\s]+)`).exec(logs);
    if (!match) throw new Error(`The service did not log the ${chain} RPC address.`);
    return match[1];
  };
  return { supchain: find('supchain'), medchain: find('medchain') };
}
