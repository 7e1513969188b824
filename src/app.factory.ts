import { createServer } from 'node:http';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import type { AppConfig, ServerConfig } from './config/app-config.js';
import { AdminDocs } from './platform/admin/admin-docs.js';
import { ErrorBodyFilter } from './platform/http/error-body.filter.js';
import { InputValidationPipe } from './platform/http/input-validation.pipe.js';
import { workerRoutesOnly } from './platform/http/worker-routes.js';

/**
 * Nest's global body parser is off: the webhook route must see its bytes unparsed (the guard
 * verifies them first). Only the admin API parses JSON, after its token check
 * (`AdminBodyMiddleware`).
 */
export const APP_OPTIONS = { bodyParser: false, bufferLogs: true, abortOnError: false } as const;

/** What main.ts and the e2e tests both apply to a created application. */
export function configureApp(app: INestApplication): INestApplication {
  const express_ = app as NestExpressApplication;
  express_.disable('x-powered-by');
  // No ETag: hashing every webhook's answer cost ~1.5% of ingest's CPU, and nothing served here
  // gains from revalidation (JSON answers; the admin page and its assets are a few kB).
  express_.set('etag', false);
  // Before Nest's routes (registered at init): a worker has no webhooks and no /admin.
  if (app.get(ConfigService<AppConfig, true>).get('server', { infer: true }).role === 'worker')
    express_.use(workerRoutesOnly);
  // One body for every error, on every route; DTOs checked wherever a handler declares one.
  app.useGlobalFilters(new ErrorBodyFilter());
  app.useGlobalPipes(new InputValidationPipe());
  app.get(AdminDocs).mountOn(app);
  app.useLogger(app.get(Logger));
  return app;
}

/**
 * Express under a Node server built with the configured timeouts. Node checks the request and
 * headers timeouts only every `connectionsCheckingInterval` (30 s by default), an option of
 * the server's constructor, which Nest's adapter does not pass.
 */
class ExpressAdapterWithTimeouts extends ExpressAdapter {
  constructor(private readonly server: ServerConfig) {
    super(express());
  }

  override initHttpServer(): void {
    const server = createServer(
      {
        headersTimeout: this.server.headersTimeoutMs,
        requestTimeout: this.server.requestTimeoutMs,
        keepAliveTimeout: this.server.keepAliveTimeoutMs,
        connectionsCheckingInterval: 1000,
      },
      this.getInstance(),
    );
    this.setHttpServer(server);
  }
}

export async function createApp(
  config: AppConfig,
  modules: DynamicModule['imports'] = [],
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, modules),
    new ExpressAdapterWithTimeouts(config.server),
    APP_OPTIONS,
  );
  return configureApp(app);
}
