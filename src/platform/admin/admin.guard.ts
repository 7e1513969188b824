import { timingSafeEqual } from 'node:crypto';
import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request } from 'express';
import type { AppConfig } from '../../config/app-config.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`. In development without a token, loopback clients
 * only; elsewhere without a token there is no /admin at all.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly token?: Buffer;
  private readonly enabled: boolean;

  constructor(config: ConfigService<AppConfig, true>) {
    const admin = config.get('admin', { infer: true });
    this.token = admin.token ? Buffer.from(admin.token) : undefined;
    this.enabled = admin.enabled;
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (!this.enabled) throw new NotFoundException({ error: 'not_found' });
    if (!this.token) {
      if (LOOPBACK.has(req.socket.remoteAddress ?? '')) return true;
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
    return true;
  }
}
