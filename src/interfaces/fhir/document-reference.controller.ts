import { Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { FindDocumentsUseCase, FoundDocument } from '../../application/records/find-documents.use-case';
import { Principal } from '../../domain/principal';
import { Actor } from '../http/actor.decorator';
import { BreakGlassReason } from '../http/request-headers.decorator';
import { masterIdentifierOf, toDocumentReference } from './document-reference.mapper';
import { FhirController } from './fhir-controller';
import { fhirBase, RECORD_ID_SYSTEM, sendResource } from './fhir-constants';
import { patientParameter } from './patient-parameter';
import { appliedParams, dateMatches, pageOf, searchParams, searchsetBundle, tokenMatches } from './search';

const SUPPORTED = [
  'patient',
  'patient.identifier',
  'identifier',
  'status',
  'date',
  'creation',
  'type',
  'category',
] as const;

/**
 * ITI-67 Find Document References: `GET /fhir/R4/DocumentReference?…` and `POST …/_search` (form
 * body). The patient's documents on both ledgers (FindDocumentsUseCase: same access rules and log
 * as a REST listing, `X-Break-Glass-Reason` included), filtered by the supported parameters; others
 * are ignored and left out of the `self` link.
 */
@FhirController()
export class DocumentReferenceController {
  constructor(private readonly find: FindDocumentsUseCase) {}

  @Get('DocumentReference')
  async search(
    @Actor() actor: Principal,
    @Req() request: Request,
    @Res() response: Response,
    @BreakGlassReason() breakGlassReason?: string,
  ): Promise<void> {
    const params = searchParams(request);
    const page = pageOf(params);
    const patientId = patientParameter(params);
    const documents = await this.find.execute({ actor, patientId, breakGlassReason });
    const base = fhirBase(request);
    const statuses = params.get('status');
    const matches = documents
      .filter(
        (document) =>
          (!statuses || statuses.every((value) => value.split(',').includes('current'))) &&
          dateMatches(document.createdAt, params.get('date'), 'date') &&
          dateMatches(document.createdAt, params.get('creation'), 'creation') &&
          tokenMatches(document.header.documentType, params.get('type')) &&
          tokenMatches(document.header.documentCategory, params.get('category')) &&
          identifierMatches(document, params.get('identifier')),
      )
      .map((document) => toDocumentReference(base, document));
    sendResource(
      response,
      200,
      searchsetBundle(base, 'DocumentReference', appliedParams(params, SUPPORTED), matches, page),
    );
  }

  @Post('DocumentReference/_search')
  @HttpCode(200)
  async searchByPost(
    @Actor() actor: Principal,
    @Req() request: Request,
    @Res() response: Response,
    @BreakGlassReason() breakGlassReason?: string,
  ): Promise<void> {
    await this.search(actor, request, response, breakGlassReason);
  }
}

/**
 * `identifier`: the masterIdentifier (the submitted uniqueId, or the one derived for a record stored
 * without it) or the record identifier (urn:patient-centric-emr:record|0x…).
 */
function identifierMatches(document: FoundDocument, values: string[] | undefined): boolean {
  if (!values) return true;
  const master = document.header.documentId ?? `urn:ietf:rfc:3986|${masterIdentifierOf(document.recordId)}`;
  return values.every(
    (value) => tokenMatches(master, [value]) || tokenMatches(`${RECORD_ID_SYSTEM}|${document.recordId}`, [value]),
  );
}
