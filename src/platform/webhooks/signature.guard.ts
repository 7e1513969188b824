import {
  CanActivate,
  ExecutionContext,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { RejectionLog } from './rejection-log.service.js';
import { SourceRegistry } from './sources.service.js';
import { VerificationDiagnostics } from './verification-diagnostics.service.js';
import type { WebhookRequest } from './webhook-request.js';

/**
 * Verifies the signature on the exact received bytes before anything parses them. Answers
 * 404 for an unknown or disabled source (the raw-body middleware has answered that already)
 * and 401 without saying which check failed; the reason goes to the diagnostics and one
 * rate-limited log line.
 */
@Injectable()
export class SignatureGuard implements CanActivate {
  constructor(
    private readonly sources: SourceRegistry,
    private readonly diagnostics: VerificationDiagnostics,
    private readonly rejections: RejectionLog,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<WebhookRequest>();
    const source = this.sources.active(String(req.params.source));
    if (!source) throw new NotFoundException({ error: 'unknown_source' });
    const body = req.rawBody ?? Buffer.alloc(0);
    const now = Math.floor(Date.now() / 1000);
    const result = source.scheme.verify(req.headers, body, source.keys, source.config.toleranceSeconds, now);
    if (!result.ok) {
      this.rejections.record({
        source: source.config.name,
        status: 401,
        reason: result.reason,
        remoteAddress: req.socket.remoteAddress,
        bodyBytes: body.length,
      });
      const failure = this.diagnostics.record(
        source,
        result,
        { headers: req.headers, body, remoteAddress: req.socket.remoteAddress },
        now,
      );
      req.outcome = { failure };
      throw new UnauthorizedException({ error: 'invalid_signature' });
    }
    req.source = source;
    req.verification = result;
    return true;
  }
}
