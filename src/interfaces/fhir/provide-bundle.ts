import { ValidationFailedError } from '../../domain/errors';
import { FhirElementError } from './operation-outcome.filter';
import { LEDGER_EXTENSION, PATIENT_ID_SYSTEM } from './fhir-constants';

/** SHA-1 digest length, as FHIR Attachment.hash carries it (base64 of 20 bytes). */
const SHA1_BYTES = 20;
/** A submitted type or category token (`system|code`) is kept sealed; longer ones are refused. */
const MAX_TOKEN_CHARS = 256;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** One document of an ITI-65 Bundle, ready for ProvideDocumentsUseCase. */
export interface SubmittedEntry {
  /** Index of the DocumentReference entry in Bundle.entry. */
  readonly entryIndex: number;
  /** Index of the Binary entry holding the bytes, when they were not in attachment.data. */
  readonly binaryIndex: number | null;
  readonly patientId: string;
  readonly chain: string;
  readonly bytes: Uint8Array;
  readonly claimedType: string | undefined;
  readonly fileName: string | undefined;
  readonly expectedSha1?: Uint8Array;
  readonly expectedSize?: number;
  readonly documentType?: string;
  readonly documentCategory?: string;
  readonly documentId?: string;
}

export interface ProvideBundle {
  readonly entryCount: number;
  readonly submissionSetIndex: number;
  readonly documents: SubmittedEntry[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** 400 naming the element at fault. */
function invalid(expression: string, message: string): FhirElementError {
  return new FhirElementError(expression, new ValidationFailedError(message));
}

/**
 * Reads an ITI-65 Provide Document Bundle (MHD Comprehensive or UnContained metadata): a
 * `transaction` Bundle, one SubmissionSet List, one or more DocumentReferences, each with its
 * bytes in `content[0].attachment.data` or in the Binary entry its `attachment.url` names (by
 * fullUrl, or `Binary/<id>`). Only the Bundle's shape is checked here; each document's own checks
 * (media type, size, patient, rights, hash, size) are the use case's, for all before any is written.
 * `chainParameter` is `?chain=`; a DocumentReference's (or the List's) ledger extension overrides it.
 */
export function readProvideBundle(body: unknown, chainParameter: string | undefined): ProvideBundle {
  if (!isObject(body) || body.resourceType !== 'Bundle') {
    throw invalid('Bundle', 'The body must be a FHIR Bundle (ITI-65 Provide Document Bundle).');
  }
  if (body.type !== 'transaction') {
    throw invalid('Bundle.type', 'The Bundle must be of type transaction (ITI-65); batch and others are refused.');
  }
  const entries = body.entry;
  if (!Array.isArray(entries) || entries.length === 0) throw invalid('Bundle.entry', 'The Bundle has no entries.');

  const byUrl = new Map<string, number>();
  const lists: number[] = [];
  const documentReferences: number[] = [];
  entries.forEach((entry: unknown, index) => {
    const at = `Bundle.entry[${index}]`;
    if (!isObject(entry) || !isObject(entry.resource)) throw invalid(at, 'Each entry needs a resource.');
    const request = entry.request;
    if (!isObject(request) || request.method !== 'POST') {
      throw invalid(`${at}.request`, 'Each entry of an ITI-65 Bundle is a POST (request.method).');
    }
    const resource = entry.resource;
    if (typeof entry.fullUrl === 'string') byUrl.set(entry.fullUrl, index);
    if (typeof resource.id === 'string') byUrl.set(`${String(resource.resourceType)}/${resource.id}`, index);
    switch (resource.resourceType) {
      case 'List':
        lists.push(index);
        break;
      case 'DocumentReference':
        documentReferences.push(index);
        break;
      case 'Binary':
        break;
      default:
        throw invalid(
          `${at}.resource`,
          'An ITI-65 Bundle holds a SubmissionSet List, DocumentReferences and Binaries only.',
        );
    }
  });
  if (lists.length !== 1) {
    throw invalid(
      'Bundle.entry',
      'An ITI-65 Bundle holds exactly one SubmissionSet (List); found ' + lists.length + '.',
    );
  }
  if (documentReferences.length === 0) throw invalid('Bundle.entry', 'The Bundle holds no DocumentReference.');

  const submissionSetIndex = lists[0];
  const list = (entries[submissionSetIndex] as Json).resource as Json;
  const listPatient = isObject(list.subject)
    ? patientOf(list.subject, `Bundle.entry[${submissionSetIndex}].resource.subject`)
    : undefined;
  const listChain = ledgerOf(list);

  const documents = documentReferences.map((index): SubmittedEntry => {
    const at = `Bundle.entry[${index}].resource`;
    const reference = (entries[index] as Json).resource as Json;
    if (!isObject(reference.subject)) throw invalid(`${at}.subject`, 'The DocumentReference names no patient.');
    const patientId = patientOf(reference.subject, `${at}.subject`);
    if (listPatient !== undefined && listPatient !== patientId) {
      throw invalid(`${at}.subject`, 'The DocumentReference and the SubmissionSet name different patients.');
    }
    const content = Array.isArray(reference.content) ? (reference.content[0] as unknown) : undefined;
    const attachment = isObject(content) ? content.attachment : undefined;
    if (!isObject(attachment)) throw invalid(`${at}.content`, 'The DocumentReference has no content.attachment.');
    const where = `${at}.content[0].attachment`;

    let data: unknown = attachment.data;
    let binaryIndex: number | null = null;
    let binaryType: unknown;
    if (data === undefined) {
      const url = attachment.url;
      binaryIndex = typeof url === 'string' ? (byUrl.get(url) ?? null) : null;
      const binary = binaryIndex === null ? undefined : ((entries[binaryIndex] as Json).resource as Json);
      if (!binary || binary.resourceType !== 'Binary') {
        throw invalid(`${where}.url`, 'The Binary this DocumentReference names is not in the Bundle.');
      }
      data = binary.data;
      binaryType = binary.contentType;
      if (data === undefined) throw invalid(`Bundle.entry[${binaryIndex}].resource.data`, 'The Binary has no data.');
    }
    const bytes = decodeBase64(
      data,
      binaryIndex === null ? `${where}.data` : `Bundle.entry[${binaryIndex}].resource.data`,
    );

    const claimed = typeof attachment.contentType === 'string' ? attachment.contentType : binaryType;
    const sha1 = attachment.hash === undefined ? undefined : decodeBase64(attachment.hash, `${where}.hash`);
    if (sha1 !== undefined && sha1.length !== SHA1_BYTES) {
      throw invalid(`${where}.hash`, 'attachment.hash must be the base64 SHA-1 (20 bytes) of the document.');
    }
    const size = attachment.size;
    if (size !== undefined && (typeof size !== 'number' || !Number.isInteger(size) || size < 0)) {
      throw invalid(`${where}.size`, 'attachment.size must be a non-negative integer.');
    }
    return {
      entryIndex: index,
      binaryIndex,
      patientId,
      chain: ledgerOf(reference) ?? listChain ?? chainParameter ?? 'supchain',
      bytes,
      claimedType: typeof claimed === 'string' ? claimed : undefined,
      fileName: typeof attachment.title === 'string' ? attachment.title : undefined,
      ...(sha1 !== undefined ? { expectedSha1: sha1 } : {}),
      ...(typeof size === 'number' ? { expectedSize: size } : {}),
      ...masterIdentifierOf(reference.masterIdentifier, `${at}.masterIdentifier`),
      ...optionalToken('documentType', reference.type, `${at}.type`),
      ...optionalToken(
        'documentCategory',
        Array.isArray(reference.category) ? reference.category[0] : undefined,
        `${at}.category`,
      ),
    };
  });
  return { entryCount: entries.length, submissionSetIndex, documents };
}

/** `Patient/<id>`, an absolute URL ending so, or an identifier in our system (or without one). */
export function patientOf(subject: Json, expression: string): string {
  if (typeof subject.reference === 'string') {
    const match = /(?:^|\/)Patient\/([^/?#]+)$/.exec(subject.reference);
    if (match) return decodeURIComponent(match[1]);
  }
  const identifier = subject.identifier;
  if (isObject(identifier) && typeof identifier.value === 'string') {
    if (identifier.system === undefined || identifier.system === PATIENT_ID_SYSTEM) return identifier.value;
  }
  throw invalid(
    expression,
    `Name the patient as Patient/<id> or an identifier in ${PATIENT_ID_SYSTEM} (the patient id).`,
  );
}

function ledgerOf(resource: Json): string | undefined {
  const extensions = Array.isArray(resource.extension) ? resource.extension : [];
  for (const extension of extensions) {
    if (isObject(extension) && extension.url === LEDGER_EXTENSION && typeof extension.valueCode === 'string') {
      return extension.valueCode;
    }
  }
  return undefined;
}

/**
 * Strict base64 (whitespace allowed). Fast path for a document's megabytes: Node's decoder skips
 * characters outside the alphabet, so a decoded length short of what the text's length implies
 * means there was something else in it; only then is the text cleaned and checked character by character.
 */
function decodeBase64(value: unknown, expression: string): Uint8Array {
  if (typeof value !== 'string') throw invalid(expression, 'Expected base64 data.');
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  const decoded = Buffer.from(value, 'base64');
  if (value.length % 4 === 0 && decoded.length === (value.length / 4) * 3 - padding) return decoded;
  const text = value.replace(/\s+/g, '');
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw invalid(expression, 'Expected base64 data.');
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** The first coding of a CodeableConcept as a `system|code` token. */
function optionalToken(
  field: 'documentType' | 'documentCategory',
  concept: unknown,
  expression: string,
): Partial<Record<'documentType' | 'documentCategory', string>> {
  if (!isObject(concept) || !Array.isArray(concept.coding) || !isObject(concept.coding[0])) return {};
  const { system, code } = concept.coding[0];
  if (typeof code !== 'string') return {};
  const token = `${typeof system === 'string' ? system : ''}|${code}`;
  if (token.length > MAX_TOKEN_CHARS) throw invalid(expression, `A code may be at most ${MAX_TOKEN_CHARS} characters.`);
  return { [field]: token };
}

/** masterIdentifier (the document's uniqueId) as a `system|value` token, kept sealed and searchable. */
function masterIdentifierOf(identifier: unknown, expression: string): { documentId?: string } {
  if (identifier === undefined) return {};
  if (!isObject(identifier) || typeof identifier.value !== 'string' || identifier.value === '') {
    throw invalid(expression, 'masterIdentifier needs a value (the document uniqueId).');
  }
  const token = `${typeof identifier.system === 'string' ? identifier.system : ''}|${identifier.value}`;
  if (token.length > MAX_TOKEN_CHARS)
    throw invalid(expression, `An identifier may be at most ${MAX_TOKEN_CHARS} characters.`);
  return { documentId: token };
}
