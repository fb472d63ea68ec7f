import { ApiException } from '@kubernetes/client-node';
import {
  ClusterApiError,
  InvalidSpecError,
  ResourceConflictError,
  ResourceNotFoundError,
  SluiceError,
  errorMessage,
} from '../../domain/errors.js';
import { objectKeyString } from './resource-types.js';
import type { CallTarget } from './client.js';

/** The parts of a Kubernetes `Status` body that errors carry on. */
export interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
  details?: { name?: string; kind?: string; causes?: StatusCause[] };
}

export interface StatusCause {
  field?: string;
  message?: string;
  reason?: string;
}

export interface FailureContext {
  timedOut: boolean;
  aborted: boolean;
  timeoutMs: number;
}

/** The HTTP status of an error thrown by the generated client, if it has one. */
export function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  if (err instanceof SluiceError && typeof err.details?.status === 'number')
    return err.details.status;
  return undefined;
}

/** The Status body of a failed call, parsed defensively (the body may be text or an object). */
export function statusOf(err: ApiException<unknown>): KubeStatus {
  let body: unknown = err.body;
  if (typeof err.body === 'string') {
    const text = err.body;
    try {
      body = JSON.parse(text);
    } catch {
      return { code: err.code, message: text.slice(0, 500) };
    }
  }
  if (typeof body !== 'object' || body === null) return { code: err.code };
  const raw = body as Record<string, unknown>;
  const status: KubeStatus = { code: err.code };
  if (typeof raw.reason === 'string') status.reason = raw.reason;
  if (typeof raw.message === 'string') status.message = raw.message;
  if (typeof raw.details === 'object' && raw.details !== null) {
    const d = raw.details as Record<string, unknown>;
    status.details = {};
    if (typeof d.name === 'string') status.details.name = d.name;
    if (typeof d.kind === 'string') status.details.kind = d.kind;
    if (Array.isArray(d.causes))
      status.details.causes = d.causes
        .filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null)
        .map((c) => ({
          ...(typeof c.field === 'string' ? { field: c.field } : {}),
          ...(typeof c.message === 'string' ? { message: c.message } : {}),
          ...(typeof c.reason === 'string' ? { reason: c.reason } : {}),
        }));
  }
  return status;
}

function describe(target: CallTarget): string {
  const what = target.name
    ? `${target.kind} ${objectKeyString({ namespace: target.namespace, name: target.name })}`
    : target.namespace
      ? `${target.kind} in namespace ${target.namespace}`
      : target.kind;
  return `${target.verb} ${what}`;
}

/**
 * Converts whatever a client-node call threw into one typed error whose message names the
 * verb and the object: 404 → ResourceNotFoundError, 409 → ResourceConflictError (retriable
 * unless AlreadyExists), 422 → InvalidSpecError with every cause's field, anything else →
 * ClusterApiError carrying the server's Status message.
 */
export function toClusterError(err: unknown, target: CallTarget, ctx: FailureContext): SluiceError {
  if (err instanceof SluiceError) return err;
  const what = describe(target);
  if (ctx.aborted)
    return new ClusterApiError('Unavailable', `${what}: cancelled`, {
      cause: err,
      details: { aborted: true },
    });
  if (ctx.timedOut)
    return new ClusterApiError('Unavailable', `${what}: no answer within ${ctx.timeoutMs} ms`, {
      cause: err,
      retriable: true,
      details: { timeout: true },
    });
  if (!(err instanceof ApiException))
    return new ClusterApiError(
      'Unavailable',
      `${what}: API server unreachable: ${errorMessage(err)}`,
      {
        cause: err,
        retriable: true,
      },
    );

  const status = statusOf(err);
  const code = err.code;
  const serverMessage = status.message ?? `HTTP ${code}`;
  const details = { status: code, reason: status.reason, serverMessage };
  switch (true) {
    case code === 404:
      return new ResourceNotFoundError(
        target.kind,
        target.name ?? '',
        `${what}: not found (${serverMessage})`,
        { cause: err, details },
      );
    case code === 409 && status.reason === 'AlreadyExists':
      return new ResourceConflictError(`${what}: already exists`, { cause: err, details });
    case code === 409:
      return new ResourceConflictError(
        `${what}: the object changed since it was read (${serverMessage}); re-read and retry`,
        { cause: err, retriable: true, details },
      );
    case code === 422: {
      const causes = status.details?.causes ?? [];
      const fields = causes.map((c) => c.field).filter((f): f is string => f !== undefined);
      return new InvalidSpecError(fields.join(', ') || target.kind, `${what}: ${serverMessage}`, {
        cause: err,
        details: { ...details, causes, fields },
      });
    }
    case code === 400:
      return new ClusterApiError('BadRequest', `${what}: ${serverMessage}`, {
        cause: err,
        details,
      });
    case code === 401:
      return new ClusterApiError('Unauthorized', `${what}: ${serverMessage}`, {
        cause: err,
        details,
      });
    case code === 403:
      return new ClusterApiError('Forbidden', `${what}: ${serverMessage}`, { cause: err, details });
    case code === 429:
      return new ClusterApiError('RateLimited', `${what}: ${serverMessage}`, {
        cause: err,
        retriable: true,
        details,
      });
    case code >= 500:
      return new ClusterApiError('Unavailable', `${what}: ${serverMessage}`, {
        cause: err,
        retriable: true,
        details,
      });
    default:
      return new ClusterApiError('Internal', `${what}: ${serverMessage} (HTTP ${code})`, {
        cause: err,
        details,
      });
  }
}
