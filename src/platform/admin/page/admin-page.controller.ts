import { Controller, Get, NotFoundException, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../../config/app-config.js';
import { ADMIN_PAGE_HTML } from './admin-page.html.js';
import { ADMIN_PAGE_SCRIPT } from './admin-page.script.js';
import { ADMIN_PAGE_CSS } from './admin-page.style.js';

/**
 * Nothing but this origin's own script, style and API; no inline code, no frames, no forms
 * posting elsewhere. Trusted Types make any string-to-HTML sink throw, so even a slip in the
 * page's script cannot turn a hostile event body into markup.
 */
export const ADMIN_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "require-trusted-types-for 'script'",
  'trusted-types',
].join('; ');

/**
 * `GET /admin`: the operator's page over the admin API. The page and its assets hold no data,
 * so they are served without the token; every call they make goes through the API's guard.
 */
@Controller('admin')
export class AdminPageController {
  private readonly enabled: boolean;

  constructor(config: ConfigService<AppConfig, true>) {
    this.enabled = config.get('admin', { infer: true }).enabled;
  }

  @Get()
  page(@Res({ passthrough: true }) res: Response): string {
    return this.serve(res, 'text/html', ADMIN_PAGE_HTML);
  }

  @Get('assets/admin.js')
  script(@Res({ passthrough: true }) res: Response): string {
    return this.serve(res, 'text/javascript', ADMIN_PAGE_SCRIPT);
  }

  @Get('assets/admin.css')
  style(@Res({ passthrough: true }) res: Response): string {
    return this.serve(res, 'text/css', ADMIN_PAGE_CSS);
  }

  /** Without a token outside development there is no /admin at all, page included. */
  private serve(res: Response, type: string, body: string): string {
    if (!this.enabled) throw new NotFoundException({ error: 'not_found' });
    res.set({
      'content-type': `${type}; charset=utf-8`,
      'content-security-policy': ADMIN_PAGE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    });
    return body;
  }
}
