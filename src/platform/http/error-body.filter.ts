import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import {
  DeliveryNotFound,
  EventNotFound,
  RepairConflict,
  RepairError,
  ReplayNotAllowed,
  UnknownSubscriber,
} from '../bus/repair-errors.js';
import { StoreUnavailableError } from '../inbox/inbox.service.js';

/** The one error body of every route: `{"error": "<code>", "message": "…"}`, plus details. */
export interface ErrorBody {
  error: string;
  message?: string;
  [detail: string]: unknown;
}

/** Seconds a client is asked to wait when the store cannot answer. */
const RETRY_AFTER_SECONDS = 5;

const REPAIR_STATUS: [abstract new (...args: never[]) => RepairError, number][] = [
  [EventNotFound, HttpStatus.NOT_FOUND],
  [DeliveryNotFound, HttpStatus.NOT_FOUND],
  [UnknownSubscriber, HttpStatus.NOT_FOUND],
  [ReplayNotAllowed, HttpStatus.BAD_REQUEST],
  [RepairConflict, HttpStatus.CONFLICT],
];

/**
 * Turns whatever a route, guard, pipe or middleware throws into its status and error body:
 * the edge's HttpExceptions keep their code and message, the domain's errors get theirs, and
 * anything else is a 500 that says nothing of its cause (the log does).
 */
@Catch()
export class ErrorBodyFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body, headers } = errorAnswer(exception);
    if (
      status >= 500 &&
      !(exception instanceof HttpException) &&
      !(exception instanceof StoreUnavailableError)
    ) {
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.status(status).json(body);
  }
}

/** The status, body and headers that answer an error. */
export function errorAnswer(exception: unknown): {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
} {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return { status, body: httpBody(status, exception.getResponse()), headers: {} };
  }
  if (exception instanceof RepairError) {
    const status = REPAIR_STATUS.find(([type]) => exception instanceof type)?.[1] ?? HttpStatus.CONFLICT;
    return {
      status,
      body: { error: exception.code, message: exception.message, ...exception.details },
      headers: {},
    };
  }
  if (exception instanceof StoreUnavailableError) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: { error: 'store_unavailable', message: 'the store cannot answer now; retry later' },
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    };
  }
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { error: 'internal_error', message: 'the service failed; the reason is in its log' },
    headers: {},
  };
}

/**
 * A body given by our own code (`{error, message?}`) is kept exactly: the webhook answers are a
 * contract. Nest's own (`{statusCode, message, error: "Not Found"}`) and terminus's readiness
 * answer become the same shape.
 */
function httpBody(status: number, response: string | object): ErrorBody {
  if (typeof response === 'string') return { error: codeOf(status), message: response };
  const given = response as Record<string, unknown>;
  if (given.status === 'error' && typeof given.details === 'object') {
    return { error: 'not_ready', message: readinessMessage(given.error), details: given.details };
  }
  if (typeof given.error === 'string' && !('statusCode' in given)) return given as ErrorBody;
  const message = Array.isArray(given.message) ? given.message.join('; ') : given.message;
  return { error: codeOf(status), message: typeof message === 'string' ? message : codeOf(status) };
}

/** `404` → `not_found`, from the status's reason phrase. */
function codeOf(status: number): string {
  const name = HttpStatus[status] as string | undefined;
  return name ? name.toLowerCase() : 'error';
}

/** terminus's `error` section: `{store: {status: 'down', message}}` → `store: message`. */
function readinessMessage(failed: unknown): string {
  if (typeof failed !== 'object' || failed === null) return 'not ready';
  return Object.entries(failed as Record<string, { message?: string }>)
    .map(([name, detail]) => `${name}: ${detail?.message ?? 'down'}`)
    .join('; ');
}
