import { Injectable, NestMiddleware } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { NextFunction, Response } from 'express';
import { RawBodyMiddleware } from './raw-body.middleware.js';
import { SourceRegistry } from './sources.service.js';
import { WEBHOOK_SIGNALS, type WebhookAnsweredSignal } from './webhook-signals.js';
import type { WebhookRequest } from './webhook-request.js';

/**
 * First on the webhook route: announces every answer (413, 415, 401, 404 included) with its
 * duration once the response is finished, so listeners never delay the answer. It hands the
 * request to the RawBodyMiddleware itself: one middleware on the route instead of two, so a
 * webhook goes through one router layer and one Nest middleware wrapper less.
 */
@Injectable()
export class IngestOutcomeMiddleware implements NestMiddleware {
  constructor(
    private readonly emitter: EventEmitter2,
    private readonly sources: SourceRegistry,
    private readonly rawBody: RawBodyMiddleware,
  ) {}

  use(req: WebhookRequest, res: Response, next: NextFunction): void {
    this.watch(req, res);
    this.rawBody.use(req, res, next);
  }

  private watch(req: WebhookRequest, res: Response): void {
    const started = performance.now();
    res.once('finish', () => {
      const name = sourceName(req.originalUrl);
      const signal: WebhookAnsweredSignal = {
        source: name !== undefined && this.sources.active(name) ? name : undefined,
        status: res.statusCode,
        seconds: (performance.now() - started) / 1000,
        type: req.outcome?.type,
        id: req.outcome?.id,
        duplicate: req.outcome?.duplicate,
        failure: req.outcome?.failure,
      };
      this.emitter.emit(WEBHOOK_SIGNALS.answered, signal);
    });
  }
}

function sourceName(url: string): string | undefined {
  const segment = /^\/webhooks\/([^/?#]+)/.exec(url)?.[1];
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
