import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { PinoLogger } from 'nestjs-pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import { requestLogOptions } from './http-log.options.js';

/**
 * pino-http on the application's one logger, without nestjs-pino's request-scoped context:
 * that context (an AsyncLocalStorage) puts a hook on every promise of the process once any
 * request has used it, and nothing here reads it. Lines a service writes while a request runs
 * go out without the request's id; the request's own line has it.
 * Not mounted on `POST /webhooks/:source`: every event received has its line from the event log,
 * and every refused webhook one from the RejectionLog.
 */
@Injectable()
export class RequestLogMiddleware implements NestMiddleware {
  private log?: HttpLogger;

  use(req: Request, res: Response, next: NextFunction): void {
    // Built on first use: the root logger exists once nestjs-pino's module has started.
    this.log ??= pinoHttp({ ...requestLogOptions(), logger: PinoLogger.root });
    this.log(req, res, next);
  }
}
