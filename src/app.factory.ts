import { createServer } from 'node:http';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import type { AppConfig, ServerConfig } from './config/app-config.js';

/**
 * Nest's global body parser is off: the webhook route must see its bytes unparsed (the guard
 * verifies them first). Only the admin API parses JSON.
 */
export const APP_OPTIONS = { bodyParser: false, bufferLogs: true, abortOnError: false } as const;

/** What main.ts and the e2e tests both apply to a created application. */
export function configureApp(app: INestApplication): INestApplication {
  const express_ = app as NestExpressApplication;
  express_.disable('x-powered-by');
  express_.use('/admin/api', express.json({ limit: '1mb' }), jsonErrors);
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

/** Body-parser errors on the admin API become a JSON 400 instead of Express's HTML page. */
function jsonErrors(
  error: { status?: number; message?: string },
  _req: express.Request,
  res: express.Response,
  next: express.NextFunction,
) {
  if (!error) return next();
  res
    .status(error.status && error.status < 500 ? error.status : 400)
    .json({ error: 'invalid_json', message: error.message });
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
