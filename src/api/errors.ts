import { randomUUID } from 'node:crypto';
import type { Request, Response, NextFunction } from 'express';
import { SluiceError, type ErrorCode, type ErrorOptions } from '../domain/errors.js';
import type { Logger } from '../logging.js';

// The API's own typed errors, and the ONE place where any error becomes an HTTP answer.

export class NotFoundError extends SluiceError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('NotFound', message, options);
  }
}

/** A command that makes no sense in the rollout's current phase, or a stale one. */
export class CommandConflictError extends SluiceError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('Conflict', message, options);
  }
}

/** An abort (or other command) with nothing in progress: refused, nothing written. */
export class NotInProgressError extends SluiceError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('NotInProgress', message, options);
  }
}

export class UnauthorizedError extends SluiceError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('Unauthorized', message, options);
  }
}

export class ForbiddenError extends SluiceError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('Forbidden', message, options);
  }
}

export class BadRequestError extends SluiceError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('BadRequest', message, options);
  }
}

export class RateLimitedError extends SluiceError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super('RateLimited', message, { retriable: true, details: { retryAfterSeconds } });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class PayloadTooLargeError extends SluiceError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('PayloadTooLarge', message, options);
  }
}

export class UnavailableError extends SluiceError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('Unavailable', message, { retriable: true, ...options });
  }
}

export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'BadRequest':
    case 'InvalidSpec':
    case 'InvalidExpression':
      return 400;
    case 'Unauthorized':
      return 401;
    case 'Forbidden':
      return 403;
    case 'NotFound':
      return 404;
    case 'Conflict':
    case 'NotInProgress':
    case 'RouteConflict':
      return 409;
    case 'PayloadTooLarge':
      return 413;
    case 'RateLimited':
      return 429;
    case 'Unavailable':
    case 'NoMetricData':
    case 'MetricQuery':
    case 'TrafficRouting':
    case 'FlagProvider':
      return 503;
    case 'Internal':
      return 500;
    default: {
      const never: never = code;
      return never;
    }
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown>; id: string };
}

/** Turns body-parser's own errors (bad JSON, too large) into typed ones. */
function fromParserError(err: unknown): SluiceError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { type?: unknown; status?: unknown };
  if (e.type === 'entity.too.large') return new PayloadTooLargeError('request body too large');
  if (e.type === 'entity.parse.failed')
    return new BadRequestError('request body is not valid JSON');
  // Other 4xx errors thrown by express itself (body encoding, a malformed %-escape in the path).
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
    return new BadRequestError('the request could not be read');
  return undefined;
}

export function toSluiceError(err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  return fromParserError(err) ?? new SluiceError('Internal', 'internal error', { cause: err });
}

/** Sends the error answer. Internal errors keep their text in the log, never in the answer. */
export function sendError(res: Response, err: unknown, logger: Logger): void {
  const e = toSluiceError(err);
  const id = randomUUID();
  const status = httpStatusFor(e.code);
  if (status >= 500)
    logger.error('request failed', { errorId: id, code: e.code, cause: describeCause(e) });
  else logger.info('request refused', { errorId: id, code: e.code, message: e.message });
  if (e instanceof UnauthorizedError)
    res.setHeader('WWW-Authenticate', 'Bearer realm="sluice", error="invalid_token"');
  if (e instanceof RateLimitedError) res.setHeader('Retry-After', String(e.retryAfterSeconds));
  const message = e.code === 'Internal' ? 'internal error' : e.message;
  const body: ErrorBody = { error: { code: e.code, message, details: e.details ?? {}, id } };
  if (res.headersSent) return;
  res.status(status).json(body);
}

function describeCause(e: SluiceError): string {
  const c = e.cause ?? e;
  return c instanceof Error ? `${c.name}: ${c.message}` : String(c);
}

export function errorMiddleware(logger: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    sendError(res, err, logger);
  };
}
