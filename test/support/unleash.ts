import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPostgres, type PostgresInstance } from '../../src/sandbox/postgres.js';
import {
  randomTokens,
  startUnleash,
  type UnleashInstance,
  type UnleashTokens,
} from '../../src/sandbox/unleash.js';

// Real unleash-server on a private PostgreSQL for the integration suites.
// One PostgreSQL and one migrated template database per test run (the first suite that asks
// pays for initdb and Unleash's migrations); each suite then gets its own copy of the template
// (CREATE DATABASE ... TEMPLATE, a file copy) and its own unleash-server on it.
// NOTE: the template is only ever used as a template after its server has stopped: PostgreSQL
// refuses to copy a database that has open connections.

interface Shared {
  pg: PostgresInstance;
  template: string;
  tokens: UnleashTokens;
  /** Measured once, for docs/flags.md. */
  timings: { postgresMs: number; migrateMs: number };
}

let shared: Promise<Shared> | undefined;

async function createShared(): Promise<Shared> {
  let t = Date.now();
  const pg = await startPostgres();
  const postgresMs = Date.now() - t;
  try {
    const template = 'unleash_template';
    const tokens = randomTokens();
    await pg.createDatabase(template);
    t = Date.now();
    const first = await startUnleash({ db: pg.db(template), tokens });
    const migrateMs = Date.now() - t;
    await first.stop();
    return { pg, template, tokens, timings: { postgresMs, migrateMs } };
  } catch (err) {
    await pg.stop();
    throw err;
  }
}

function sharedOnce(): Promise<Shared> {
  shared ??= createShared();
  shared.catch(() => {
    shared = undefined;
  });
  return shared;
}

/** Stops the shared PostgreSQL (and so every suite database). Idempotent. */
export async function stopShared(): Promise<void> {
  const s = await shared?.catch(() => undefined);
  shared = undefined;
  await s?.pg.stop();
}

// The shared PostgreSQL outlives single suites by design, so it is stopped by a root-level
// hook after the whole run (mocha's `after` at module level registers on the root suite).
if (typeof after === 'function') {
  after(async function () {
    this.timeout(30_000);
    await stopShared();
  });
}

export interface UnleashFixture {
  unleash: UnleashInstance;
  pg: PostgresInstance;
  database: string;
  /** Wall time for this suite: copy of the template plus server start, in ms. */
  startMs: { copy: number; server: number };
  /** Starts the server again on the same database, port and tokens (after stop()). */
  restart(): Promise<UnleashInstance>;
  /** Stops the server and drops the suite's database. */
  close(): Promise<void>;
}

/** A suite's own unleash-server on its own copy of the migrated template. */
export async function startUnleashFixture(): Promise<UnleashFixture> {
  const { pg, template, tokens } = await sharedOnce();
  const database = `unleash_${randomBytes(4).toString('hex')}`;
  let t = Date.now();
  await pg.createDatabase(database, { template });
  const copy = Date.now() - t;
  t = Date.now();
  let unleash: UnleashInstance;
  try {
    unleash = await startUnleash({ db: pg.db(database), tokens });
  } catch (err) {
    await pg.dropDatabase(database);
    throw err;
  }
  const fixture: UnleashFixture = {
    unleash,
    pg,
    database,
    startMs: { copy, server: Date.now() - t },
    async restart() {
      await fixture.unleash.stop();
      fixture.unleash = await startUnleash({
        db: pg.db(database),
        tokens,
        port: fixture.unleash.port,
      });
      return fixture.unleash;
    },
    async close() {
      await fixture.unleash.stop();
      await pg.dropDatabase(database);
    },
  };
  return fixture;
}

export async function sharedTimings(): Promise<Shared['timings']> {
  return (await sharedOnce()).timings;
}

export interface AdminCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

/** A raw Admin API call for test setup, independent of the adapter under test. */
export async function adminCall(u: UnleashInstance, call: AdminCall): Promise<unknown> {
  const res = await fetch(`${u.url}${call.path}`, {
    method: call.method,
    headers: { authorization: u.adminToken, 'content-type': 'application/json' },
    signal: AbortSignal.timeout(5000),
    ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${call.method} ${call.path}: HTTP ${res.status} ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/** Creates a release flag in project `default` with one flexibleRollout strategy. */
export async function createRolloutFlag(
  u: UnleashInstance,
  name: string,
  opts: {
    environment?: string;
    rollout?: number;
    groupId?: string;
    stickiness?: string;
    enabled?: boolean;
  } = {},
): Promise<string> {
  const env = opts.environment ?? 'development';
  await adminCall(u, {
    method: 'POST',
    path: '/api/admin/projects/default/features',
    body: { name, type: 'release' },
  });
  const strategy = (await adminCall(u, {
    method: 'POST',
    path: `/api/admin/projects/default/features/${name}/environments/${env}/strategies`,
    body: {
      name: 'flexibleRollout',
      constraints: [],
      parameters: {
        rollout: String(opts.rollout ?? 0),
        groupId: opts.groupId ?? name,
        stickiness: opts.stickiness ?? 'userId',
      },
    },
  })) as { id: string };
  if (opts.enabled ?? true)
    await adminCall(u, {
      method: 'POST',
      path: `/api/admin/projects/default/features/${name}/environments/${env}/on`,
    });
  return strategy.id;
}

export interface RecordingProxy {
  url: string;
  /** Every request forwarded, in order. */
  calls: Array<{ method: string; path: string }>;
  /** Requests that change something (anything but GET/HEAD). */
  writes(): Array<{ method: string; path: string }>;
  stop(): Promise<void>;
}

/**
 * A pass-through HTTP proxy on 127.0.0.1 that records what the adapter sends, so a test can
 * count Admin API writes at the wire rather than trust the adapter's own count.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const calls: RecordingProxy['calls'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      calls.push({ method, path });
      const headers: Record<string, string> = {};
      for (const h of ['authorization', 'content-type', 'accept'])
        if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      fetch(`${target}${path}`, {
        method,
        headers,
        signal: AbortSignal.timeout(5000),
        ...(body ? { body } : {}),
      }).then(
        async (answer) => {
          const text = await answer.text();
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'text/plain',
          });
          res.end(text);
        },
        () => {
          // The target is down: behave like it, by dropping the connection.
          req.socket.destroy();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    calls,
    writes: () => calls.filter((c) => c.method !== 'GET' && c.method !== 'HEAD'),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
