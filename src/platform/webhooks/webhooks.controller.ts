import {
  BadRequestException,
  Controller,
  HttpCode,
  Post,
  Req,
  Res,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Response } from 'express';
import { BUS_SIGNALS, type EventReceivedSignal } from '../bus/bus-signals.js';
import { Inbox, StoreUnavailableError } from '../inbox/inbox.service.js';
import { isKnownEventType } from '../events/event-types.js';
import { parseEnvelope } from './envelope.js';
import { RejectionLog } from './rejection-log.service.js';
import { SignatureGuard } from './signature.guard.js';
import type { WebhookRequest } from './webhook-request.js';

/** Seconds Whippy is asked to wait before retrying when the store cannot commit. */
const RETRY_AFTER_SECONDS = 5;

@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly inbox: Inbox,
    private readonly emitter: EventEmitter2,
    private readonly rejections: RejectionLog,
  ) {}

  /** Answers only after the event is committed; a duplicate is acknowledged, not stored again. */
  @Post(':source')
  @HttpCode(200)
  @UseGuards(SignatureGuard)
  async receive(@Req() req: WebhookRequest, @Res({ passthrough: true }) res: Response) {
    const source = req.source!;
    const verification = req.verification!;
    const body = req.rawBody!;
    const check = parseEnvelope(body, verification.messageId);
    if (!check.ok) {
      this.rejections.record({
        source: source.config.name,
        status: 400,
        reason: 'invalid_payload',
        remoteAddress: req.socket.remoteAddress,
        bodyBytes: body.length,
      });
      throw new BadRequestException({ error: 'invalid_payload', message: check.message });
    }
    const { envelope, requestId } = check;
    req.outcome = { type: envelope.event };

    const headers: Record<string, string> = {};
    for (const name of source.keptHeaders) {
      const value = req.headers[name];
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const status =
      source.config.mode === 'paused' ? 'held' : isKnownEventType(envelope.event) ? 'received' : 'unknown';
    try {
      const recorded = await this.inbox.record({
        source: source.config.name,
        requestId,
        type: envelope.event,
        status,
        rawBody: body,
        headers,
        verification: {
          scheme: verification.scheme,
          keyIndex: verification.keyIndex,
          timestamp: verification.timestamp,
        },
        data: envelope.data,
      });
      const { id, duplicate, receivedAt } = recorded;
      req.outcome.id = id;
      req.outcome.duplicate = duplicate;
      if (!duplicate) {
        const signal: EventReceivedSignal = {
          id,
          source: source.config.name,
          requestId,
          type: envelope.event,
          status: recorded.status,
          receivedAt,
          data: envelope.data,
        };
        this.emitter.emit(BUS_SIGNALS.eventReceived, signal);
      }
      return { received: true, id, duplicate };
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      throw new ServiceUnavailableException({
        error: 'store_unavailable',
        message: 'the event was not stored; retry later',
      });
    }
  }
}
