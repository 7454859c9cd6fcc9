import { Get, Req, Res } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { ListAccessLogUseCase, MAX_ACCESS_LOG_ENTRIES } from '../../application/access/list-access-log.use-case';
import { AccessLogEntry } from '../../domain/access-log';
import { Principal } from '../../domain/principal';
import { Actor } from '../http/actor.decorator';
import { documentReferenceId, patientReference } from './document-reference.mapper';
import { FhirController } from './fhir-controller';
import { fhirBase, LEDGER_EXTENSION, PROVIDER_ID_SYSTEM, sendResource } from './fhir-constants';
import { patientParameter } from './patient-parameter';
import { appliedParams, pageOf, searchParams, searchsetBundle } from './search';

const SUPPORTED = ['patient'] as const;
const BALP = 'https://profiles.ihe.net/ITI/BALP/StructureDefinition';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const SERVICE = 'patient-centric-emr';

const coding = (system: string, code: string, display?: string) => ({ system, code, ...(display ? { display } : {}) });

/**
 * An access-log entry as an IHE BALP AuditEvent: `type` rest; `subtype` read (one record) or search
 * (a listing); action R or E; the read's time as `recorded`; agents for the client (source role),
 * the server (destination role) and the user who read, whose `purposeOfUse` is treatment, or for a
 * break-glass read emergency treatment and break-the-glass (ETREAT, BTG) with the stated reason;
 * entities for the patient and, for a record read, the document.
 */
export function toAuditEvent(patientId: string, entry: AccessLogEntry, ordinal: number) {
  const read = entry.recordId !== null;
  const purpose = entry.emergency
    ? {
        coding: [coding(ACT_REASON, 'ETREAT', 'Emergency Treatment'), coding(ACT_REASON, 'BTG', 'break the glass')],
        ...(entry.reason ? { text: entry.reason } : {}),
      }
    : { coding: [coding(ACT_REASON, 'TREAT', 'treatment')] };
  const id = createHash('sha256')
    .update(
      JSON.stringify([patientId, entry.accessorRole, entry.accessorId, entry.chain, entry.recordId, entry.at, ordinal]),
    )
    .digest('hex');
  return {
    resourceType: 'AuditEvent',
    id,
    meta: { profile: [`${BALP}/${read ? 'IHE.BasicAudit.Read' : 'IHE.BasicAudit.Query'}`] },
    extension: [{ url: LEDGER_EXTENSION, valueCode: entry.chain }],
    type: coding('http://terminology.hl7.org/CodeSystem/audit-event-type', 'rest', 'Restful Operation'),
    subtype: [coding('http://hl7.org/fhir/restful-interaction', read ? 'read' : 'search')],
    action: read ? 'R' : 'E',
    recorded: entry.at,
    outcome: '0',
    purposeOfEvent: [purpose],
    agent: [
      {
        type: { coding: [coding(DCM, '110153', 'Source Role ID')] },
        who: { display: `${SERVICE} client` },
        requestor: false,
      },
      {
        type: { coding: [coding(DCM, '110152', 'Destination Role ID')] },
        who: { display: SERVICE },
        requestor: false,
      },
      {
        type: {
          coding: [
            coding('http://terminology.hl7.org/CodeSystem/v3-ParticipationType', 'IRCP', 'information recipient'),
          ],
        },
        who:
          entry.accessorRole === 'patient'
            ? patientReference(entry.accessorId)
            : { identifier: { system: PROVIDER_ID_SYSTEM, value: entry.accessorId } },
        requestor: true,
        purposeOfUse: [purpose],
      },
    ],
    source: {
      observer: { display: SERVICE },
      type: [coding('http://terminology.hl7.org/CodeSystem/security-source-type', '4', 'Application Server')],
    },
    entity: [
      {
        what: patientReference(patientId),
        type: coding('http://terminology.hl7.org/CodeSystem/audit-entity-type', '1', 'Person'),
        role: coding('http://terminology.hl7.org/CodeSystem/object-role', '1', 'Patient'),
      },
      ...(entry.recordId
        ? [
            {
              what: { reference: `DocumentReference/${documentReferenceId(entry.recordId)}` },
              type: coding('http://terminology.hl7.org/CodeSystem/audit-entity-type', '2', 'System Object'),
              role: coding('http://terminology.hl7.org/CodeSystem/object-role', '3', 'Report'),
            },
          ]
        : []),
    ],
  };
}

/** `GET /fhir/R4/AuditEvent?patient=…`: every read of the patient's records (the patient only, as on REST). */
@FhirController()
export class AuditEventController {
  constructor(private readonly listAccessLog: ListAccessLogUseCase) {}

  @Get('AuditEvent')
  async search(@Actor() actor: Principal, @Req() request: Request, @Res() response: Response): Promise<void> {
    const params = searchParams(request);
    const page = pageOf(params);
    const patientId = patientParameter(params);
    const entries: AccessLogEntry[] = [];
    let cursor: string | undefined;
    do {
      const result = await this.listAccessLog.execute({ actor, patientId, limit: MAX_ACCESS_LOG_ENTRIES, cursor });
      entries.push(...result.entries);
      cursor = result.nextCursor ?? undefined;
    } while (cursor !== undefined);
    const events = entries.map((entry, index) => toAuditEvent(patientId, entry, index));
    sendResource(
      response,
      200,
      searchsetBundle(fhirBase(request), 'AuditEvent', appliedParams(params, SUPPORTED), events, page),
    );
  }
}
