import { All, NotFoundException } from '@nestjs/common';
import { Public } from '../http/auth.guard';
import { FhirController } from './fhir-controller';

/** Anything else under /fhir/R4 is a 404 OperationOutcome (registered last). */
@FhirController()
export class FallbackController {
  @Public()
  @All('{*path}')
  notFound(): never {
    throw new NotFoundException();
  }
}
