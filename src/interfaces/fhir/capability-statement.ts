import { FHIR_JSON, FHIR_VERSION, LEDGER_EXTENSION } from './fhir-constants';

const MHD = 'https://profiles.ihe.net/ITI/MHD';
const BALP = 'https://profiles.ihe.net/ITI/BALP';

const searchParam = (name: string, type: string, documentation: string) => ({ name, type, documentation });

/** Search parameters of DocumentReference (ITI-67), shared with the searches' own parsing. */
export const DOCUMENT_REFERENCE_SEARCH = [
  searchParam('patient', 'reference', 'Patient/<id> (or the bare id). Required, or patient.identifier.'),
  searchParam('patient.identifier', 'token', 'urn:patient-centric-emr:patient|<id> (or the bare id).'),
  searchParam(
    'identifier',
    'token',
    'masterIdentifier (the uniqueId) or urn:patient-centric-emr:record|0x<record id>.',
  ),
  searchParam('status', 'token', 'current (every stored document is current).'),
  searchParam('date', 'date', 'When the document was stored (eq, ne, gt, ge, lt, le, sa, eb).'),
  searchParam('creation', 'date', 'attachment.creation: when the service received the document.'),
  searchParam('type', 'token', 'DocumentReference.type as submitted (system|code).'),
  searchParam('category', 'token', 'DocumentReference.category as submitted (system|code).'),
  searchParam('_count', 'number', 'Page size, 1-100 (default 20).'),
  searchParam('_offset', 'number', 'Paging position (from the next/previous links).'),
];

/** What the FHIR face supports, exactly: JSON only, the MHD Recipient and Responder, and patient views. */
export function capabilityStatement(base: string, now: Date) {
  const patientParam = searchParam('patient', 'reference', 'Patient/<id>. Required: the patient only.');
  const paging = [searchParam('_count', 'number', 'Page size, 1-100.'), searchParam('_offset', 'number', 'Paging.')];
  return {
    resourceType: 'CapabilityStatement',
    id: 'patient-centric-emr',
    url: `${base}/metadata`,
    name: 'PatientCentricEmr',
    title: 'patient-centric-emr FHIR R4 face (IHE MHD Document Recipient and Document Responder)',
    status: 'active',
    date: now.toISOString(),
    publisher: 'patient-centric-emr',
    kind: 'instance',
    instantiates: [
      `${MHD}/CapabilityStatement/IHE.MHD.DocumentRecipient`,
      `${MHD}/CapabilityStatement/IHE.MHD.DocumentResponder`,
    ],
    software: { name: 'patient-centric-emr' },
    implementation: { description: 'Encrypted, signed medical records on SUPchain and MEDchain', url: base },
    fhirVersion: FHIR_VERSION,
    format: [FHIR_JSON, 'json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'MHD Document Recipient with the Comprehensive and UnContained Metadata options (documents as Binary ' +
          'entries or attachment.data), and Document Responder. The ledger is chosen with ?chain= or the ' +
          `${LEDGER_EXTENSION} extension (default supchain). JSON only: XML is answered 406/415.`,
        security: {
          cors: false,
          description: 'Authorization: Bearer <token>, the same tokens and roles as the REST API (/api/v1).',
        },
        interaction: [{ code: 'transaction', documentation: 'ITI-65 Provide Document Bundle' }],
        resource: [
          {
            type: 'DocumentReference',
            supportedProfile: [`${MHD}/StructureDefinition/IHE.MHD.Minimal.DocumentReference`],
            interaction: [{ code: 'search-type', documentation: 'ITI-67 Find Document References (GET and POST)' }],
            searchParam: DOCUMENT_REFERENCE_SEARCH,
          },
          {
            type: 'List',
            supportedProfile: [`${MHD}/StructureDefinition/IHE.MHD.Minimal.SubmissionSet`],
            documentation: 'Accepted in an ITI-65 Bundle as the SubmissionSet; not stored or searchable.',
          },
          {
            type: 'Binary',
            documentation:
              'Accepted in an ITI-65 Bundle; documents are retrieved (ITI-68) at DocumentReference.content.attachment.url.',
          },
          {
            type: 'Patient',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [
              searchParam('_id', 'token', 'The patient id.'),
              searchParam('identifier', 'token', 'urn:patient-centric-emr:patient|<id>.'),
            ],
          },
          {
            type: 'Consent',
            interaction: [{ code: 'search-type', documentation: 'The patient only: their consents on the ledgers.' }],
            searchParam: [patientParam, searchParam('status', 'token', 'active | inactive'), ...paging],
          },
          {
            type: 'AuditEvent',
            supportedProfile: [
              `${BALP}/StructureDefinition/IHE.BasicAudit.Read`,
              `${BALP}/StructureDefinition/IHE.BasicAudit.Query`,
            ],
            interaction: [{ code: 'search-type', documentation: 'The patient only: every read of their records.' }],
            searchParam: [patientParam, ...paging],
          },
        ],
      },
    ],
  };
}
