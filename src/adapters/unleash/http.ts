import { FlagProviderError, type FlagProviderReason } from '../../domain/errors.js';

// The one place that talks HTTP to Unleash: timeouts, the caller's AbortSignal, and turning
// every failure into a FlagProviderError whose reason says what to do about it.

export interface UnleashHttpOptions {
  /** Base URL of the Unleash server, e.g. http://unleash.flags:4242 (no trailing /api). */
  url: string;
  /** An Unleash admin or personal access token; in a cluster it comes from a Secret. */
  token: string;
  /** Per-call limit. Default 5 s. */
  timeoutMs?: number;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  signal?: AbortSignal | undefined;
  /** Used in messages: what was being done, to which flag. */
  what: string;
}

export class UnleashHttp {
  readonly url: string;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(options: UnleashHttpOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Sends one request; returns the parsed JSON body (undefined for an empty body). */
  async request(
    method: HttpMethod,
    path: string,
    body: unknown,
    options: RequestOptions,
  ): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        signal,
        headers: {
          authorization: this.#token,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      const why = timeout.aborted
        ? `no answer within ${this.#timeoutMs} ms`
        : options.signal?.aborted
          ? 'the call was cancelled'
          : `cannot connect (${causeText(err)})`;
      throw new FlagProviderError(
        `${options.what}: Unleash at ${this.url} is unreachable: ${why}; check that it runs and the URL is right`,
        { reason: 'unreachable', cause: err },
      );
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw statusError(res.status, text, options.what, this.url);
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new FlagProviderError(`${options.what}: Unleash answered with invalid JSON`, {
        reason: 'malformed',
        cause: err,
      });
    }
  }
}

function statusError(status: number, text: string, what: string, url: string): FlagProviderError {
  const detail = unleashMessage(text);
  const details = { status, unleash: detail };
  const make = (reason: FlagProviderReason, message: string): FlagProviderError =>
    new FlagProviderError(`${what}: ${message}${detail ? ` (Unleash: ${detail})` : ''}`, {
      reason,
      details,
    });
  if (status === 401)
    return make('unauthorized', 'the API token was rejected; check the token in the Secret');
  if (status === 403)
    return make(
      'unauthorized',
      'the API token has no rights for this; use an admin token or a personal access token with project rights',
    );
  if (status === 404)
    return make('notFound', 'not found in Unleash; check project, environment and flag name');
  if (status === 400 || status === 409 || status === 415 || status === 422)
    return make('invalid', `Unleash rejected the request (HTTP ${status})`);
  if (status >= 500)
    return make('server', `Unleash at ${url} failed (HTTP ${status}); retry later`);
  return make('unknown', `unexpected HTTP ${status} from Unleash`);
}

/** Unleash errors look like {name, message, details: [{message}]}; keep the first readable text. */
function unleashMessage(text: string): string | undefined {
  if (text === '') return undefined;
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null) {
      const { message, details } = body as { message?: unknown; details?: unknown };
      const first = Array.isArray(details)
        ? (details[0] as { message?: unknown } | undefined)
        : undefined;
      const parts = [message, first?.message].filter((m): m is string => typeof m === 'string');
      if (parts.length > 0) return [...new Set(parts)].join(': ').slice(0, 500);
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200);
}

function causeText(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? code : cause.message;
  }
  return err instanceof Error ? err.message : String(err);
}
