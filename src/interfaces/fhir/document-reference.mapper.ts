import type { FoundDocument } from '../../application/records/find-documents.use-case';
import { displayFileName } from '../../domain/file-name';
import {
  FHIR_ID,
  LEDGER_EXTENSION,
  MHD_MINIMAL_DOCUMENT_REFERENCE,
  PATIENT_ID_SYSTEM,
  PROVIDER_ID_SYSTEM,
  RECORD_ID_SYSTEM,
} from './fhir-constants';

/** DocumentReference.id: the record id's 64 hex digits (a FHIR id holds at most 64 characters, so no `0x`). */
export function documentReferenceId(recordId: string): string {
  return recordId.replace(/^0x/, '');
}

/** ITI-68: where a document's bytes are retrieved (absolute). */
export function documentUrl(base: string, patientId: string, recordId: string): string {
  return `${base}/documents/${encodeURIComponent(patientId)}/${recordId}`;
}

/** A reference to the patient: `Patient/<id>` when the id is a FHIR id, and always the identifier. */
export function patientReference(patientId: string) {
  return {
    ...(FHIR_ID.test(patientId) ? { reference: `Patient/${patientId}` } : {}),
    identifier: { system: PATIENT_ID_SYSTEM, value: patientId },
  };
}

/**
 * A masterIdentifier for a record stored without one (REST uploads): a `urn:uuid:` made of the record
 * id's first 16 random bytes (version 4, variant bits set), so it is a valid MHD uniqueId and stable.
 */
export function masterIdentifierOf(recordId: string): string {
  const hex = recordId.replace(/^0x/, '').slice(0, 32).split('');
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The submitted masterIdentifier when the record keeps one, else the one derived from the record id. */
function masterIdentifier(documentId: string | undefined, recordId: string): { system?: string; value: string } {
  if (documentId === undefined) return { system: 'urn:ietf:rfc:3986', value: masterIdentifierOf(recordId) };
  const bar = documentId.indexOf('|');
  const system = documentId.slice(0, bar);
  return { ...(system ? { system } : {}), value: documentId.slice(bar + 1) };
}

function concept(token: string | undefined) {
  if (!token) return undefined;
  const bar = token.indexOf('|');
  const system = token.slice(0, bar);
  const code = token.slice(bar + 1);
  return { coding: [{ ...(system ? { system } : {}), code }] };
}

/**
 * A stored document as an MHD Minimal DocumentReference: status current, the patient, the upload
 * time as `date` (and as attachment.creation: the original creation time is not kept), the
 * uploading principal as author, the attachment (type, ITI-68 url, size, base64 SHA-1 when the
 * record keeps one, file name as title) and the ledgers holding it as {@link LEDGER_EXTENSION}s.
 */
export function toDocumentReference(base: string, document: FoundDocument) {
  const { header } = document;
  const type = concept(header.documentType);
  const category = concept(header.documentCategory);
  const created = document.createdAt.toISOString();
  return {
    resourceType: 'DocumentReference',
    id: documentReferenceId(document.recordId),
    meta: { profile: [MHD_MINIMAL_DOCUMENT_REFERENCE] },
    extension: document.chains.map((chain) => ({ url: LEDGER_EXTENSION, valueCode: chain })),
    masterIdentifier: { use: 'usual', ...masterIdentifier(header.documentId, document.recordId) },
    identifier: [{ use: 'official', system: RECORD_ID_SYSTEM, value: document.recordId }],
    status: 'current',
    ...(type ? { type } : {}),
    ...(category ? { category: [category] } : {}),
    subject: patientReference(document.patientId),
    date: created,
    // The header keeps the uploader's id: the patient's own id for a patient's upload, else a provider's.
    author: [
      header.uploader === document.patientId
        ? patientReference(document.patientId)
        : { identifier: { system: PROVIDER_ID_SYSTEM, value: header.uploader }, display: header.uploader },
    ],
    content: [
      {
        attachment: {
          contentType: header.contentType,
          url: documentUrl(base, document.patientId, document.recordId),
          size: header.size,
          ...(header.sha1 ? { hash: Buffer.from(header.sha1).toString('base64') } : {}),
          title: displayFileName(header.fileName, header.contentType),
          creation: created,
        },
      },
    ],
  };
}
