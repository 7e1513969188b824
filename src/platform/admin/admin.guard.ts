import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request } from 'express';
import type { AppConfig } from '../../config/app-config.js';
import { AdminAccess } from './admin-access.js';

/**
 * The admin check on a controller. `AdminBodyMiddleware` has already run it for every path
 * under `/admin/api` before the body is read; the guard keeps a controller safe wherever it is
 * mounted. It needs only the (global) configuration, so any module's controller can use it.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly access: AdminAccess;

  constructor(config: ConfigService<AppConfig, true>) {
    this.access = new AdminAccess(config);
  }

  canActivate(context: ExecutionContext): boolean {
    this.access.check(context.switchToHttp().getRequest<Request>());
    return true;
  }
}
