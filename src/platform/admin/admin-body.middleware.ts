import {
  BadRequestException,
  Injectable,
  NestMiddleware,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import { AdminAccess } from './admin-access.js';

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;
const BODY_LIMIT = '1mb';

/**
 * Checks the admin token, and only then reads and parses the JSON body: a request that may
 * not pass costs no read and no parse, whatever it carries.
 */
@Injectable()
export class AdminBodyMiddleware implements NestMiddleware {
  private readonly parse = express.json({ limit: BODY_LIMIT, type: () => true });

  constructor(private readonly access: AdminAccess) {}

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    this.access.check(req);
    if (hasBody(req)) {
      if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) {
        throw new UnsupportedMediaTypeException({
          error: 'unsupported_media_type',
          message: 'send the body as application/json',
        });
      }
      await new Promise<void>((resolve, reject) =>
        this.parse(req, res, (error?: unknown) => (error ? reject(bodyError(error)) : resolve())),
      );
    }
    next();
  }
}

/** Whether the request says it carries a body (an empty one does not count). */
function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function bodyError(error: unknown): Error {
  const { status, type } = error as { status?: number; type?: string };
  if (status === 413) {
    return new PayloadTooLargeException({
      error: 'payload_too_large',
      message: `the body is over ${BODY_LIMIT}`,
    });
  }
  if (status === 415 || type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new UnsupportedMediaTypeException({
      error: 'unsupported_media_type',
      message: 'send the body as uncompressed UTF-8 application/json',
    });
  }
  // The parser's message quotes the body; the answer does not.
  return new BadRequestException({
    error: 'invalid_json',
    message: 'the body is not a JSON object or array',
  });
}
