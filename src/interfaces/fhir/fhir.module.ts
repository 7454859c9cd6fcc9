import { DynamicModule, MiddlewareConsumer, Module, ModuleMetadata, NestModule } from '@nestjs/common';
import { AuditEventController } from './audit-event.controller';
import { ConsentController } from './consent.controller';
import { DocumentReferenceController } from './document-reference.controller';
import { DocumentController } from './document.controller';
import { FallbackController } from './fallback.controller';
import { FhirNegotiationMiddleware } from './fhir-negotiation.middleware';
import { MetadataController } from './metadata.controller';
import { OperationOutcomeFilter } from './operation-outcome.filter';
import { PatientController } from './patient.controller';
import { TransactionController } from './transaction.controller';

const CONTROLLERS = [
  MetadataController,
  TransactionController,
  DocumentReferenceController,
  DocumentController,
  PatientController,
  ConsentController,
  AuditEventController,
  // Last: its catch-all route answers what no other route took.
  FallbackController,
];

/**
 * The FHIR R4 face (/fhir/R4): IHE MHD Document Recipient (ITI-65) and Responder (ITI-67, ITI-68),
 * Patient, Consent and AuditEvent views, over the same use cases as the REST API. Its guards are
 * the service's (bearer tokens, rate limit); its errors are OperationOutcomes. The composition root
 * hands it the use-case modules, as it does HttpModule.
 */
@Module({ controllers: CONTROLLERS, providers: [OperationOutcomeFilter] })
export class FhirModule implements NestModule {
  static register(useCases: NonNullable<ModuleMetadata['imports']>): DynamicModule {
    return { module: FhirModule, imports: useCases };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(FhirNegotiationMiddleware).forRoutes(...CONTROLLERS);
  }
}
