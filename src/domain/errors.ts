// Typed errors. Each has a stable `code`, says whether retrying can help, and keeps its cause.
// Only the API edge maps these to HTTP (src/api/errors.ts); nothing here knows status codes.

export const ERROR_CODES = [
  'InvalidSpec',
  'InvalidExpression',
  'NoMetricData',
  'MetricQuery',
  'RouteConflict',
  'TrafficRouting',
  'NotFound',
  'Conflict',
  'FlagProvider',
  'Unauthorized',
  'Forbidden',
  'BadRequest',
  'NotInProgress',
  'RateLimited',
  'PayloadTooLarge',
  'Unavailable',
  'Internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorOptions {
  cause?: unknown;
  retriable?: boolean;
  /** Field paths or other structured detail, e.g. ["spec.strategy.canary.steps[2].setWeight"]. */
  details?: Record<string, unknown>;
}

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details;
  }
}

/** A resource whose spec cannot be acted on. `field` is the path of the offending field. */
export class InvalidSpecError extends SluiceError {
  readonly field: string;
  constructor(field: string, message: string, options: ErrorOptions = {}) {
    super('InvalidSpec', `${field}: ${message}`, {
      ...options,
      details: { field, ...options.details },
    });
    this.field = field;
  }
}

export class ExpressionError extends SluiceError {
  /** Character offset in the expression where the problem was found. */
  readonly position: number;
  constructor(message: string, position: number, options: ErrorOptions = {}) {
    super('InvalidExpression', message, options);
    this.position = position;
  }
}

export class MetricQueryError extends SluiceError {
  readonly timeout: boolean;
  constructor(message: string, options: ErrorOptions & { timeout?: boolean } = {}) {
    super('MetricQuery', message, { retriable: true, ...options });
    this.timeout = options.timeout ?? false;
  }
}

export class RouteConflictError extends SluiceError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('RouteConflict', message, options);
  }
}

export class TrafficRoutingError extends SluiceError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('TrafficRouting', message, { retriable: true, ...options });
  }
}

/** Why a flag call failed; lets the controller tell "Unleash is down" from "flag is gone". */
export const FLAG_PROVIDER_REASONS = [
  'unreachable',
  'notFound',
  'unauthorized',
  'invalid',
  'server',
  'malformed',
  'unknown',
] as const;
export type FlagProviderReason = (typeof FLAG_PROVIDER_REASONS)[number];

export class FlagProviderError extends SluiceError {
  readonly reason: FlagProviderReason;
  constructor(message: string, options: ErrorOptions & { reason?: FlagProviderReason } = {}) {
    const reason = options.reason ?? 'unknown';
    super('FlagProvider', message, {
      retriable: reason === 'unreachable' || reason === 'server',
      ...options,
    });
    this.reason = reason;
  }
}

/** A Kubernetes object (or a part of one, such as a named HTTP route) that does not exist. */
export class ResourceNotFoundError extends SluiceError {
  readonly kind: string;
  readonly objectName: string;
  constructor(kind: string, objectName: string, message: string, options: ErrorOptions = {}) {
    super('NotFound', message, {
      ...options,
      details: { kind, name: objectName, ...options.details },
    });
    this.kind = kind;
    this.objectName = objectName;
  }
}

/**
 * A write refused because the object changed since it was read (retriable: re-read and retry)
 * or because it already exists (not retriable).
 */
export class ResourceConflictError extends SluiceError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('Conflict', message, options);
  }
}

/** Any other failure talking to the cluster's API server: refused, unreachable, timed out. */
export class ClusterApiError extends SluiceError {
  constructor(
    code: 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'RateLimited' | 'Unavailable' | 'Internal',
    message: string,
    options: ErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
