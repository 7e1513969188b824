import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AdminAccess } from './admin-access.js';

/**
 * The admin check on a controller. `AdminBodyMiddleware` has already run it for every path
 * under `/admin/api` before the body is read; the guard keeps a controller safe wherever it is
 * mounted.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly access: AdminAccess) {}

  canActivate(context: ExecutionContext): boolean {
    this.access.check(context.switchToHttp().getRequest<Request>());
    return true;
  }
}
