import { applyDecorators, Controller, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { OperationOutcomeFilter } from './operation-outcome.filter';

/**
 * A controller of the FHIR face: under /fhir/R4, out of the OpenAPI document (the FHIR contract is
 * the CapabilityStatement and docs/fhir.md), every error an OperationOutcome.
 */
export const FhirController = () =>
  applyDecorators(ApiExcludeController(), UseFilters(OperationOutcomeFilter), Controller('fhir/R4'));
