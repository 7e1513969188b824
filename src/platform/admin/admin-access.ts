import { timingSafeEqual } from 'node:crypto';
import { ForbiddenException, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '../../config/app-config.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Who may use `/admin/api` and `/admin/docs`: `Authorization: Bearer <ADMIN_TOKEN>`. In
 * development without a token, loopback clients only (the socket's address, never
 * `X-Forwarded-For`); elsewhere without a token there is no /admin at all.
 */
@Injectable()
export class AdminAccess {
  private readonly token?: Buffer;
  private readonly enabled: boolean;

  constructor(config: ConfigService<AppConfig, true>) {
    const admin = config.get('admin', { infer: true });
    this.token = admin.token ? Buffer.from(admin.token) : undefined;
    this.enabled = admin.enabled;
  }

  /** Throws the answer for a request that may not pass; reads headers only, never the body. */
  check(req: IncomingMessage): void {
    if (!this.enabled)
      throw new NotFoundException({ error: 'not_found', message: 'there is no /admin here' });
    if (!this.token) {
      if (LOOPBACK.has(req.socket.remoteAddress ?? '')) return;
      throw new ForbiddenException({
        error: 'forbidden',
        message: 'set ADMIN_TOKEN to reach /admin from other hosts',
      });
    }
    const presented = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const bytes = presented === undefined ? undefined : Buffer.from(presented.trim());
    if (!bytes || bytes.length !== this.token.length || !timingSafeEqual(bytes, this.token)) {
      throw new UnauthorizedException({
        error: 'unauthorized',
        message: 'send Authorization: Bearer <ADMIN_TOKEN>',
      });
    }
  }
}
