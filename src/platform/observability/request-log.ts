import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ExpressAdapter } from '@nestjs/platform-express';
import { PinoLogger } from 'nestjs-pino';
import { pinoHttp } from 'pino-http';
import { isWebhook, requestLogOptions } from './http-log.options.js';

/**
 * pino-http on the application's one logger, without nestjs-pino's request-scoped context:
 * that context (an AsyncLocalStorage) puts a hook on every promise of the process once any
 * request has used it, and nothing here reads it. Lines a service writes while a request runs
 * go out without the request's id; the request's own line has it.
 *
 * Not on `POST /webhooks/:source`: every event received has its line from the event log, and
 * every refused webhook one from the RejectionLog.
 *
 * It runs as the HTTP adapter's request hook, which Nest calls from the one router layer it
 * puts ahead of all others, rather than as a middleware: a middleware on every path is a layer
 * of its own that each webhook would be matched against and step through.
 */
@Injectable()
export class RequestLog implements OnApplicationBootstrap {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** At bootstrap: the root logger exists once nestjs-pino's module has started. */
  onApplicationBootstrap(): void {
    // The CLI runs the platform without an HTTP server: no requests to log.
    const adapter = this.adapterHost.httpAdapter as ExpressAdapter | undefined;
    if (!adapter) return;
    const log = pinoHttp({ ...requestLogOptions(), logger: PinoLogger.root });
    adapter.setOnRequestHook((req, res, done) => {
      if (req.method === 'POST' && isWebhook(req)) return done();
      log(req, res, done);
    });
  }
}
