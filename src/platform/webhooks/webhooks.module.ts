import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { InboxModule } from '../inbox/inbox.module.js';
import { IngestOutcomeMiddleware } from './ingest-outcome.middleware.js';
import { RawBodyMiddleware } from './raw-body.middleware.js';
import { RejectionLog } from './rejection-log.service.js';
import { SignatureGuard } from './signature.guard.js';
import { SourceRegistry } from './sources.service.js';
import { VerificationDiagnostics } from './verification-diagnostics.service.js';
import { WebhooksController } from './webhooks.controller.js';

/** `POST /webhooks/:source`: raw bytes, signature guard, envelope check, inbox. */
@Module({
  imports: [InboxModule],
  controllers: [WebhooksController],
  providers: [SourceRegistry, SignatureGuard, VerificationDiagnostics, RejectionLog, RawBodyMiddleware],
  exports: [SourceRegistry, VerificationDiagnostics],
})
export class WebhooksModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // IngestOutcomeMiddleware runs the RawBodyMiddleware after it (one router layer for both).
    consumer
      .apply(IngestOutcomeMiddleware)
      .forRoutes({ path: 'webhooks/:source', method: RequestMethod.POST });
  }
}
