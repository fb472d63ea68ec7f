import type { RolloutSummary } from '../api/view.js';
import { CliError, EXIT, type Connection } from './config.js';

// A small client for the control API. Every call has a timeout; error answers become
// CliErrors whose message says what to do.

export type Verb = 'promote' | 'abort' | 'pause' | 'resume' | 'retry' | 'override-budget';

export type FlagAction = 'enable' | 'disable' | 'percentage' | 'variants';

export interface FlagScope {
  project?: string | undefined;
  environment?: string | undefined;
}

export interface Accepted {
  requestId: string;
  command: string;
  watch: string;
  alreadyPending?: boolean;
}

export interface ClientOptions {
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class ApiClient {
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(
    private readonly conn: Connection,
    options: ClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  list(namespace?: string): Promise<{ items: RolloutSummary[] }> {
    const path = namespace ? `/api/v1/namespaces/${enc(namespace)}/rollouts` : '/api/v1/rollouts';
    return this.call('GET', path);
  }

  get(namespace: string, name: string): Promise<RolloutSummary> {
    return this.call('GET', `/api/v1/namespaces/${enc(namespace)}/rollouts/${enc(name)}`);
  }

  command(
    namespace: string,
    name: string,
    verb: Verb,
    body: Record<string, unknown>,
    idempotencyKey?: string,
  ): Promise<Accepted> {
    return this.call(
      'POST',
      `/api/v1/namespaces/${enc(namespace)}/rollouts/${enc(name)}/${verb}`,
      body,
      idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
    );
  }

  /** GET /api/v1/flags and /flags/:name; POST /flags/:name/<action>. Admin role. */
  flags<T>(
    action: 'list' | 'get' | FlagAction,
    scope: FlagScope,
    name?: string,
    body?: Record<string, unknown>,
  ): Promise<T> {
    const query = new URLSearchParams();
    if (scope.project) query.set('project', scope.project);
    if (scope.environment) query.set('environment', scope.environment);
    const q = query.size > 0 ? `?${query.toString()}` : '';
    if (action === 'list') return this.call('GET', `/api/v1/flags${q}`);
    const path = `/api/v1/flags/${enc(name ?? '')}`;
    if (action === 'get') return this.call('GET', `${path}${q}`);
    return this.call('POST', `${path}/${action}${q}`, body ?? {});
  }

  /** GET /api/v1/namespaces/:ns/slos and /slos/:name. Viewer role. */
  slos<T>(namespace: string, name?: string): Promise<T> {
    const path = `/api/v1/namespaces/${enc(namespace)}/slos`;
    return this.call('GET', name === undefined ? path : `${path}/${enc(name)}`);
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const all: Record<string, string> = { Accept: 'application/json', ...headers };
    if (this.conn.token) all.Authorization = `Bearer ${this.conn.token}`;
    if (body !== undefined) all['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.conn.url}${path}`, {
        method,
        headers: all,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      const why =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : (err as Error).message;
      throw new CliError(
        `cannot reach the Sluice API at ${this.conn.url}: ${why}`,
        EXIT.error,
        true,
      );
    }
    const text = await res.text();
    const value = parseJson(text);
    if (res.ok) {
      if (value === undefined) throw new CliError(`the API answered ${res.status} without JSON`);
      return value as T;
    }
    const retryAfter = Number(res.headers.get('retry-after'));
    throw new CliError(
      explain(res.status, value, res.headers.get('retry-after')),
      EXIT.error,
      res.status >= 500 || res.status === 429,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    );
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function explain(status: number, value: unknown, retryAfter: string | null): string {
  const e = (value as { error?: { code?: string; message?: string; id?: string } } | undefined)
    ?.error;
  const msg = e?.message ?? `HTTP ${status}`;
  const ref = e?.id ? ` (error id ${e.id})` : '';
  switch (status) {
    case 401:
      return `not authenticated: ${msg}. Pass --token, set SLUICE_TOKEN, or add "token:" to ~/.config/sluice/config.yaml`;
    case 403:
      return `not allowed: ${msg}. Ask an admin for a role that permits this`;
    case 404:
      return `not found: ${msg}. Check the name and --namespace (or --project/--environment)`;
    case 409:
      return `refused: ${msg}`;
    case 429:
      return `rate limited: retry in ${retryAfter ?? 'a few'} s`;
    default:
      return `${status >= 500 ? 'the API failed' : 'bad request'}: ${msg}${ref}`;
  }
}
