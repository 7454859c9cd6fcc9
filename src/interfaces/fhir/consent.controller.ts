import { Get, Req, Res } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { ConsentView } from '../../application/access/consent-view';
import { ListConsentsUseCase } from '../../application/access/list-consents.use-case';
import { Principal } from '../../domain/principal';
import { Actor } from '../http/actor.decorator';
import { patientReference } from './document-reference.mapper';
import { FhirController } from './fhir-controller';
import { fhirBase, LEDGER_EXTENSION, PROVIDER_ID_SYSTEM, sendResource } from './fhir-constants';
import { patientParameter } from './patient-parameter';
import { appliedParams, pageOf, searchParams, searchsetBundle } from './search';

const SUPPORTED = ['patient', 'status'] as const;

/** A stable FHIR id for a patient's consent to one provider (hex, so any ids fit in 64 characters). */
function consentId(patientId: string, providerId: string): string {
  return createHash('sha256').update(`consent\0${patientId}\0${providerId}`).digest('hex');
}

/**
 * A consent on the ledgers as a FHIR R4 Consent: active while in force, scope patient-privacy,
 * category LOINC 59284-0 (patient consent), an opt-in policy rule, and a permit provision for the
 * provider (actor, role IRCP) over the consent's period; the ledgers holding it as extensions.
 */
export function toConsent(patientId: string, consent: ConsentView) {
  return {
    resourceType: 'Consent',
    id: consentId(patientId, consent.providerId),
    extension: consent.chains.map((chain) => ({ url: LEDGER_EXTENSION, valueCode: chain })),
    status: consent.active ? 'active' : 'inactive',
    scope: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
    },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }],
    patient: patientReference(patientId),
    dateTime: consent.grantedAt,
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision: {
      type: 'permit',
      period: { start: consent.grantedAt, ...(consent.expiresAt ? { end: consent.expiresAt } : {}) },
      actor: [
        {
          role: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }],
          },
          reference: { identifier: { system: PROVIDER_ID_SYSTEM, value: consent.providerId } },
        },
      ],
      action: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'access' }] }],
    },
  };
}

/** `GET /fhir/R4/Consent?patient=…[&status=]`: the patient's own consents (the patient only, as on REST). */
@FhirController()
export class ConsentController {
  constructor(private readonly listConsents: ListConsentsUseCase) {}

  @Get('Consent')
  async search(@Actor() actor: Principal, @Req() request: Request, @Res() response: Response): Promise<void> {
    const params = searchParams(request);
    const page = pageOf(params);
    const patientId = patientParameter(params);
    const statuses = params.get('status');
    const consents = (await this.listConsents.execute({ actor, patientId }))
      .map((consent) => toConsent(patientId, consent))
      .filter((consent) => !statuses || statuses.every((value) => value.split(',').includes(consent.status)));
    sendResource(
      response,
      200,
      searchsetBundle(fhirBase(request), 'Consent', appliedParams(params, SUPPORTED), consents, page),
    );
  }
}
