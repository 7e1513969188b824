import { Injectable, NestMiddleware } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NextFunction, Response } from 'express';
import type { AppConfig } from '../../config/app-config.js';
import { readBody } from './body-reader.js';
import { RejectionLog } from './rejection-log.service.js';
import { SourceRegistry } from './sources.service.js';
import type { WebhookRequest } from './webhook-request.js';

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

/** `/webhooks/<source>` with or without a query string or a trailing slash. */
const SOURCE_IN_PATH = /^\/webhooks\/([^/?#]*)/;

/**
 * Captures the exact bytes of a webhook request, unparsed, so the guard can verify them.
 * Before reading a byte of the body it answers 404 for an unknown or disabled source, 415 for
 * a non-JSON content type or a `content-encoding` other than identity (a decompressed body is
 * not the bytes received, and decompressing is work for anyone to ask for); then 413 past the
 * body limit.
 */
@Injectable()
export class RawBodyMiddleware implements NestMiddleware {
  private readonly limit: number;

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly sources: SourceRegistry,
    private readonly rejections: RejectionLog,
  ) {
    this.limit = config.get('server', { infer: true }).bodyLimitBytes;
  }

  use(req: WebhookRequest, res: Response, next: NextFunction): void {
    const name = sourceName(req);
    if (!this.sources.active(name)) {
      return this.refuse(req, res, name, 404, { error: 'unknown_source' }, 'unknown_source');
    }
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      return this.refuse(
        req,
        res,
        name,
        415,
        {
          error: 'unsupported_media_type',
          message: 'send the body uncompressed: content-encoding is not accepted',
        },
        'content_encoding',
      );
    }
    if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) {
      return this.refuse(
        req,
        res,
        name,
        415,
        { error: 'unsupported_media_type', message: 'send the event as application/json' },
        'content_type',
      );
    }
    readBody(req, this.limit, (error, body) => {
      if (error) {
        const tooLarge = error.status === 413;
        this.rejections.record({
          source: name,
          status: tooLarge ? 413 : 400,
          reason: tooLarge ? 'payload_too_large' : 'unreadable_body',
          remoteAddress: req.socket.remoteAddress,
          bodyBytes: declaredLength(req),
        });
        res
          .status(tooLarge ? 413 : 400)
          .json(
            tooLarge ? { error: 'payload_too_large' } : { error: 'invalid_payload', message: error.message },
          );
        return;
      }
      req.rawBody = body;
      next();
    });
  }

  /**
   * Answers without reading the body and closes the connection after the answer, so an unread
   * body is never waited for or kept.
   */
  private refuse(
    req: WebhookRequest,
    res: Response,
    source: string,
    status: number,
    body: object,
    reason: string,
  ): void {
    this.rejections.record({
      source,
      status,
      reason,
      remoteAddress: req.socket.remoteAddress,
      bodyBytes: declaredLength(req),
    });
    res.setHeader('connection', 'close');
    res.status(status).json(body);
  }
}

function sourceName(req: WebhookRequest): string {
  const fromParams = req.params?.source;
  if (typeof fromParams === 'string') return fromParams;
  const match = SOURCE_IN_PATH.exec(req.originalUrl ?? req.url);
  try {
    return match ? decodeURIComponent(match[1]) : '';
  } catch {
    return match![1];
  }
}

/** The body size the client announced; the body itself may never be read. */
function declaredLength(req: WebhookRequest): number | undefined {
  const length = Number(req.headers['content-length']);
  return Number.isFinite(length) ? length : undefined;
}
