// Baseline C, the NestJS ceiling: the smallest NestJS app that does what the webhook route must
// do before storing — Nest's own JSON body parser keeping the raw bytes (`rawBody: true`), a
// guard verifying the Whippy signature on them, a controller answering 200. Nothing is stored
// and nothing is logged, so no durable receiver on this framework can be faster.
// Plain JavaScript, so the decorators are applied as functions.
//
// Env: PORT (required), WHIPPY_SIGNING_KEYS.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import {
  Controller,
  Get,
  HttpCode,
  Module,
  Post,
  Req,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SIGNATURE_HEADER, signingKeysFromEnv, verifySignature } from './whippy-signature.mjs';

const keys = signingKeysFromEnv();
const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be set to a positive integer');

class SignatureGuard {
  canActivate(context) {
    const req = context.switchToHttp().getRequest();
    if (!req.rawBody || !verifySignature(req.rawBody, req.headers[SIGNATURE_HEADER], keys)) {
      throw new UnauthorizedException({ error: 'invalid_signature' });
    }
    return true;
  }
}

class WebhooksController {
  receive(req) {
    if (typeof req.body?.event !== 'string' || typeof req.body.request_id !== 'string') {
      return { received: false };
    }
    return { received: true, id: randomUUID(), duplicate: false };
  }

  ready() {
    return { status: 'ok' };
  }
}
const proto = WebhooksController.prototype;
const method = (name, ...decorators) => {
  for (const decorate of decorators) decorate(proto, name, Object.getOwnPropertyDescriptor(proto, name));
};
method('receive', Post('webhooks/:source'), HttpCode(200), UseGuards(SignatureGuard));
Req()(proto, 'receive', 0);
method('ready', Get('health/ready'));
Controller()(WebhooksController);

class CeilingModule {}
Module({ controllers: [WebhooksController] })(CeilingModule);

const app = await NestFactory.create(CeilingModule, { rawBody: true, logger: false });
await app.listen(port, '127.0.0.1');

let closing = false;
function shutdown() {
  if (closing) return;
  closing = true;
  const server = app.getHttpServer();
  server.closeAllConnections();
  app.close().finally(() => process.exit(0));
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// Started by the benchmark with an IPC channel: exit if the benchmark goes away without killing us.
if (process.send) process.on('disconnect', shutdown);
