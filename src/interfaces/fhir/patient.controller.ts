import { Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { FindPatientUseCase, FoundPatient } from '../../application/enrolment/find-patient.use-case';
import { ForbiddenError, PatientNotFoundError, ValidationFailedError } from '../../domain/errors';
import { Principal } from '../../domain/principal';
import { Actor } from '../http/actor.decorator';
import { FhirController } from './fhir-controller';
import { fhirBase, PATIENT_ID_SYSTEM, sendResource } from './fhir-constants';
import { appliedParams, pageOf, searchParams, searchsetBundle } from './search';

const SUPPORTED = ['_id', 'identifier'] as const;

export function toPatient(patient: FoundPatient) {
  return {
    resourceType: 'Patient',
    id: patient.patientId,
    identifier: [{ use: 'official', system: PATIENT_ID_SYSTEM, value: patient.patientId }],
    active: true,
  };
}

/**
 * `Patient` read and search: the patient id is both the resource id and the identifier (system
 * urn:patient-centric-emr:patient). Only what the caller may see (FindPatientUseCase): a patient,
 * themself; a provider, any enrolled patient it names. A search never lists patients it was not
 * asked for: a provider must give `_id` or `identifier`; what the caller may not see is simply
 * not in the Bundle.
 */
@FhirController()
export class PatientController {
  constructor(private readonly findPatient: FindPatientUseCase) {}

  @Get('Patient/:id')
  async read(@Actor() actor: Principal, @Param('id') id: string, @Res() response: Response): Promise<void> {
    sendResource(response, 200, toPatient(await this.findPatient.execute({ actor, patientId: id })));
  }

  @Get('Patient')
  async search(@Actor() actor: Principal, @Req() request: Request, @Res() response: Response): Promise<void> {
    const params = searchParams(request);
    const page = pageOf(params);
    const wanted = new Set<string>();
    for (const id of params.get('_id') ?? []) wanted.add(id);
    for (const token of params.get('identifier') ?? []) {
      const bar = token.indexOf('|');
      if (bar < 0) wanted.add(token);
      else if (token.slice(0, bar) === PATIENT_ID_SYSTEM) wanted.add(token.slice(bar + 1));
    }
    if (!params.has('_id') && !params.has('identifier')) {
      if (actor.role !== 'patient') {
        throw new ValidationFailedError('Search patients by _id or identifier.', 'identifier');
      }
      wanted.add(actor.id);
    }
    const found: ReturnType<typeof toPatient>[] = [];
    for (const patientId of wanted) {
      try {
        found.push(toPatient(await this.findPatient.execute({ actor, patientId })));
      } catch (error) {
        const hidden =
          error instanceof PatientNotFoundError ||
          error instanceof ValidationFailedError ||
          error instanceof ForbiddenError;
        if (!hidden || actor.role === 'admin') throw error;
      }
    }
    const base = fhirBase(request);
    sendResource(response, 200, searchsetBundle(base, 'Patient', appliedParams(params, SUPPORTED), found, page));
  }

  @Post('Patient/_search')
  @HttpCode(200)
  async searchByPost(@Actor() actor: Principal, @Req() request: Request, @Res() response: Response): Promise<void> {
    await this.search(actor, request, response);
  }
}
