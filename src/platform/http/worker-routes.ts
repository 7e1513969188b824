import type { NextFunction, Request, Response } from 'express';

const SERVED = /^\/(health|metrics)(\/|$)/;

/**
 * A `worker` process serves /health and /metrics only: webhooks and /admin are answered 404,
 * as routes this process does not have, with the reason.
 */
export function workerRoutesOnly(req: Request, res: Response, next: NextFunction): void {
  if (SERVED.test(req.path)) return next();
  res.status(404).json({
    error: 'not_found',
    message:
      'this process runs deliveries only (role worker): send webhooks and admin requests to an api process',
  });
}
