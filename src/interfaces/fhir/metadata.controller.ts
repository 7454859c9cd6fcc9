import { Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Clock } from '../../domain/ports/clock.port';
import { Public } from '../http/auth.guard';
import { capabilityStatement } from './capability-statement';
import { FhirController } from './fhir-controller';
import { fhirBase, sendResource } from './fhir-constants';

/** `GET /fhir/R4/metadata`: the CapabilityStatement, public like any FHIR server's. */
@FhirController()
export class MetadataController {
  constructor(private readonly clock: Clock) {}

  @Public()
  @Get('metadata')
  metadata(@Req() request: Request, @Res() response: Response): void {
    sendResource(response, 200, capabilityStatement(fhirBase(request), this.clock.now()));
  }
}
