import { Injectable, NestMiddleware } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import express, { NextFunction, Response } from 'express';
import type { AppConfig } from '../../config/app-config.js';
import type { WebhookRequest } from './webhook-request.js';

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

/**
 * Captures the exact bytes of a webhook request, unparsed, so the guard can verify them.
 * Answers 415 for a non-JSON content type and 413 past the body limit.
 */
@Injectable()
export class RawBodyMiddleware implements NestMiddleware {
  private readonly read: express.RequestHandler;

  constructor(config: ConfigService<AppConfig, true>) {
    this.read = express.raw({
      type: () => true,
      limit: config.get('server', { infer: true }).bodyLimitBytes,
    });
  }

  use(req: WebhookRequest, res: Response, next: NextFunction): void {
    if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) {
      req.resume();
      res
        .status(415)
        .json({ error: 'unsupported_media_type', message: 'send the event as application/json' });
      return;
    }
    this.read(req, res, (failure?: unknown) => {
      if (failure) {
        const error = failure as { status?: number; message?: string };
        const tooLarge = error.status === 413;
        res
          .status(tooLarge ? 413 : 400)
          .json(
            tooLarge ? { error: 'payload_too_large' } : { error: 'invalid_payload', message: error.message },
          );
        return;
      }
      req.rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      req.body = undefined;
      next();
    });
  }
}
