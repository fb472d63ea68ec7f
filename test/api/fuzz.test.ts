import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { makeRollout, makeTestApi, TOKENS, WEBHOOK_SECRET, type TestApi } from './support.js';

// Fuzzing request bodies, paths and headers: whatever arrives, the answer is never a 5xx,
// always a JSON error body without a stack trace, and the process keeps serving.

const API_RUNS = 6000;
const WEBHOOK_RUNS = 4000;

const ascii = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
const headerValue = fc.oneof(
  ascii,
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => s.replace(/[^\x20-\x7e\x80-\xff]/g, '')),
);

const bodyArb = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        full: fc.oneof(fc.boolean(), fc.jsonValue()),
        expectedStep: fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.double(), fc.string()),
        reason: fc.oneof(fc.string({ maxLength: 1100 }), fc.integer(), fc.constant(null)),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 60 }),
  fc.constant(''),
);

const segment = fc.oneof(
  fc.constantFrom('checkout', 'paused', 'aborted', 'healthy', 'shop', 'x'),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom('%', '%E0%A4%A', '..', '%2F', 'a'.repeat(300)),
);

const verb = fc.constantFrom('promote', 'abort', 'pause', 'resume', 'retry', 'nope', '');

const auth = fc.oneof(
  fc.constantFrom(
    `Bearer ${TOKENS.operator}`,
    `Bearer ${TOKENS.viewer}`,
    `Bearer ${TOKENS.admin}`,
    'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x',
    'Basic Zm9vOmJhcg==',
  ),
  headerValue.map((v) => `Bearer ${v}`),
  headerValue,
);

function isSafeAnswer(status: number, text: string): boolean {
  if (status >= 500) return false;
  if (/at .+\.(ts|js):\d+|\/work\/|node_modules/.test(text)) return false;
  if (status >= 400) {
    const body = JSON.parse(text) as { error?: { code?: unknown; id?: unknown } };
    return typeof body.error?.code === 'string' && typeof body.error.id === 'string';
  }
  return true;
}

describe('API fuzzing', () => {
  let t: TestApi;
  let server: RunningServer;

  let dir: string;

  before(async () => {
    // On tmpfs: this suite is about answers, not durability, and fsync on a disk costs ms each.
    dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'sluice-fuzz-'));
    t = await makeTestApi({ dir, rateLimit: { perSecond: 1e6, burst: 1e6 } });
    t.backend.put(makeRollout('checkout', 'Progressing', 1));
    t.backend.put(makeRollout('paused', 'Paused', 2));
    t.backend.put(makeRollout('aborted', 'Aborted', 3));
    t.backend.put(makeRollout('healthy', 'Healthy', 0));
    server = await startServer({ app: t.app, port: 0 });
  });
  after(async () => {
    await server?.close();
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(`never answers 5xx or leaks internals to ${API_RUNS} fuzzed API requests`, async function () {
    this.timeout(120_000);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        fc.oneof(segment, fc.constant('shop')),
        segment,
        verb,
        auth,
        fc.option(headerValue),
        fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1', ''),
        bodyArb,
        async (method, ns, name, v, authorization, idem, contentType, body) => {
          const headers: Record<string, string> = { Authorization: authorization };
          if (idem !== null) headers['Idempotency-Key'] = idem;
          if (contentType) headers['Content-Type'] = contentType;
          const path = `/api/v1/namespaces/${ns}/rollouts/${name}${v ? `/${v}` : ''}`;
          const res = await fetch(`${server.url}${path}`, {
            method,
            headers,
            ...(method === 'GET' ? {} : { body }),
          });
          const text = await res.text();
          expect(
            isSafeAnswer(res.status, text),
            `${method} ${path} -> ${res.status} ${text}`,
          ).to.equal(true);
        },
      ),
      { numRuns: API_RUNS },
    );
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).to.equal(200);
  });

  it(`never answers 5xx to ${WEBHOOK_RUNS} fuzzed webhook deliveries`, async function () {
    this.timeout(120_000);
    await fc.assert(
      fc.asyncProperty(
        bodyArb,
        fc.constantFrom('good', 'bad', 'none', 'sha1', 'garbage'),
        fc.oneof(fc.constantFrom('ping', 'workflow_run', 'deployment', 'push'), ascii),
        fc.oneof(fc.uuid(), ascii),
        async (body, sig, event, delivery) => {
          const headers: Record<string, string> = {
            'Content-Type': 'application/json',
            'X-GitHub-Event': event,
            'X-GitHub-Delivery': delivery,
          };
          const mac = createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex');
          if (sig === 'good') headers['X-Hub-Signature-256'] = `sha256=${mac}`;
          if (sig === 'bad') headers['X-Hub-Signature-256'] = `sha256=${mac.slice(1)}0`;
          if (sig === 'sha1') headers['X-Hub-Signature'] = `sha1=${mac.slice(0, 40)}`;
          if (sig === 'garbage') headers['X-Hub-Signature-256'] = `sha256=zz${delivery}`;
          const res = await fetch(`${server.url}/webhooks/github`, {
            method: 'POST',
            headers,
            body,
          });
          const text = await res.text();
          expect(isSafeAnswer(res.status, text), `${res.status} ${text}`).to.equal(true);
          if (sig !== 'good') expect(res.status).to.equal(401);
        },
      ),
      { numRuns: WEBHOOK_RUNS },
    );
  });
});
