// Kubernetes `Status` bodies and the error that carries one through the request handlers.
import { SluiceError, type ErrorCode } from '../../domain/errors.js';
import type { Cause } from './types.js';

export const STATUS_REASONS = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
} as const satisfies Record<number, string>;

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: Cause[];
  uid?: string;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export function reasonFor(code: number): string {
  const known: Record<number, string> = STATUS_REASONS;
  return known[code] ?? 'Unknown';
}

function errorCodeFor(status: number): ErrorCode {
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Conflict';
  if (status === 422) return 'InvalidSpec';
  if (status >= 400 && status < 500) return 'BadRequest';
  return 'Internal';
}

/** An API failure that the HTTP layer turns into a Status body with `status` as HTTP code. */
export class ApiStatusError extends SluiceError {
  readonly status: number;
  readonly reason: string;
  readonly statusDetails: StatusDetails | undefined;

  constructor(status: number, message: string, reason?: string, details?: StatusDetails) {
    super(errorCodeFor(status), message);
    this.status = status;
    this.reason = reason ?? reasonFor(status);
    this.statusDetails = details;
  }

  toStatus(): StatusBody {
    return failureStatus(this.status, this.message, this.reason, this.statusDetails);
  }
}

export function failureStatus(
  code: number,
  message: string,
  reason: string = reasonFor(code),
  details?: StatusDetails,
): StatusBody {
  const body: StatusBody = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details !== undefined) body.details = details;
  return body;
}

export function successStatus(details: StatusDetails): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}

/** `rollouts.sluice.dev "web" not found`, with details.name/group/kind as kube-apiserver sends. */
export function notFound(plural: string, group: string, name: string): ApiStatusError {
  const qualified = group === '' ? plural : `${plural}.${group}`;
  return new ApiStatusError(404, `${qualified} "${name}" not found`, 'NotFound', {
    name,
    group,
    kind: plural,
  });
}

export function alreadyExists(plural: string, group: string, name: string): ApiStatusError {
  const qualified = group === '' ? plural : `${plural}.${group}`;
  return new ApiStatusError(409, `${qualified} "${name}" already exists`, 'AlreadyExists', {
    name,
    group,
    kind: plural,
  });
}

export function conflict(plural: string, group: string, name: string, why: string): ApiStatusError {
  const qualified = group === '' ? plural : `${plural}.${group}`;
  return new ApiStatusError(
    409,
    `Operation cannot be fulfilled on ${qualified} "${name}": ${why}`,
    'Conflict',
    { name, group, kind: plural },
  );
}

export const MODIFIED_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 422 Invalid naming every failing field, e.g. `Rollout.sluice.dev "web" is invalid: [...]`. */
export function invalid(
  kind: string,
  group: string,
  name: string,
  causes: Cause[],
): ApiStatusError {
  const qualified = group === '' ? kind : `${kind}.${group}`;
  const parts = causes.map((c) => (c.field === '' ? c.message : `${c.field}: ${c.message}`));
  const list = parts.length === 1 ? (parts[0] ?? '') : `[${parts.join(', ')}]`;
  return new ApiStatusError(422, `${qualified} "${name}" is invalid: ${list}`, 'Invalid', {
    name,
    group,
    kind,
    causes,
  });
}

export function badRequest(message: string): ApiStatusError {
  return new ApiStatusError(400, message, 'BadRequest');
}
