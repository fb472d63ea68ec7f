import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubeClients, type KubeClients } from '../../src/adapters/kubernetes/client.js';
import { RESOURCE_TYPES } from '../../src/adapters/kubernetes/resource-types.js';
import {
  ClusterApiError,
  InvalidSpecError,
  ResourceConflictError,
  ResourceNotFoundError,
  SluiceError,
} from '../../src/domain/errors.js';
import { closeServer, listenOnLoopback } from '../support/ports.js';

// A local stub for the awkward answers a real API server rarely gives on demand (text bodies,
// hangs, bare 5xx). Faithful behaviour is tested against the sandbox API server elsewhere.

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function status(res: ServerResponse, code: number, reason: string, message: string, extra = {}) {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code,
      reason,
      message,
      ...extra,
    }),
  );
}

async function expectError(p: Promise<unknown>): Promise<SluiceError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(SluiceError);
    return err as SluiceError;
  }
  expect.fail('expected the call to fail');
}

describe('kubernetes client adapter', () => {
  let server: Server;
  let clients: KubeClients;
  let handler: Handler;
  const seen: Seen[] = [];
  const ref = { type: RESOURCE_TYPES.rollout, namespace: 'demo', name: 'shop' };

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          contentType: req.headers['content-type'],
          body,
        });
        handler(req, res);
      });
    });
    const port = await listenOnLoopback(server);
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'stub', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'stub' }],
      contexts: [{ name: 'stub', cluster: 'stub', user: 'stub' }],
      currentContext: 'stub',
    });
    clients = createKubeClients(kc, { timeoutMs: 2000 });
  });

  after(() => closeServer(server));

  beforeEach(() => {
    seen.length = 0;
  });

  it('sends JSON patches as application/json-patch+json and merge patches as application/merge-patch+json', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"apiVersion":"sluice.dev/v1alpha1","kind":"Rollout","metadata":{"name":"shop"}}');
    };
    await clients.patchJson(ref, [{ op: 'replace', path: '/spec/x', value: 1 }]);
    await clients.patchMerge(ref, { metadata: { labels: { a: 'b' } } });
    await clients.patchMerge(ref, { status: { phase: 'Healthy' } }, { subresource: 'status' });
    expect(seen.map((s) => [s.method, s.url, s.contentType])).to.deep.equal([
      [
        'PATCH',
        '/apis/sluice.dev/v1alpha1/namespaces/demo/rollouts/shop',
        'application/json-patch+json',
      ],
      [
        'PATCH',
        '/apis/sluice.dev/v1alpha1/namespaces/demo/rollouts/shop',
        'application/merge-patch+json',
      ],
      [
        'PATCH',
        '/apis/sluice.dev/v1alpha1/namespaces/demo/rollouts/shop/status',
        'application/merge-patch+json',
      ],
    ]);
    expect(JSON.parse(seen[0]?.body ?? '')).to.deep.equal([
      { op: 'replace', path: '/spec/x', value: 1 },
    ]);
  });

  it('patches built-in Deployments and Services with the requested content type', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"shop"}}');
    };
    await clients.patchMerge(
      { type: RESOURCE_TYPES.deployment, namespace: 'demo', name: 'shop' },
      { spec: { replicas: 3 } },
    );
    await clients.patchJson({ type: RESOURCE_TYPES.service, namespace: 'demo', name: 'shop' }, [
      { op: 'test', path: '/metadata/name', value: 'shop' },
    ]);
    expect(seen.map((s) => [s.url, s.contentType])).to.deep.equal([
      ['/apis/apps/v1/namespaces/demo/deployments/shop', 'application/merge-patch+json'],
      ['/api/v1/namespaces/demo/services/shop', 'application/json-patch+json'],
    ]);
  });

  it('turns a 404 Status into ResourceNotFoundError naming the object', async () => {
    handler = (_req, res) => status(res, 404, 'NotFound', 'rollouts "shop" not found');
    const err = await expectError(clients.patchMerge(ref, {}));
    expect(err).to.be.instanceOf(ResourceNotFoundError);
    expect(err.code).to.equal('NotFound');
    expect(err.message).to.contain('Rollout demo/shop').and.contain('not found');
  });

  it('turns a stale-resourceVersion 409 into a retriable conflict and AlreadyExists into a final one', async () => {
    handler = (_req, res) =>
      status(res, 409, 'Conflict', 'the object has been modified; please apply your changes');
    const stale = await expectError(clients.patchMerge(ref, {}));
    expect(stale).to.be.instanceOf(ResourceConflictError);
    expect(stale.retriable).to.equal(true);
    expect(stale.message).to.contain('demo/shop').and.contain('the object has been modified');

    handler = (_req, res) => status(res, 409, 'AlreadyExists', 'rollouts "shop" already exists');
    const exists = await expectError(clients.patchMerge(ref, {}));
    expect(exists).to.be.instanceOf(ResourceConflictError);
    expect(exists.retriable).to.equal(false);
  });

  it('turns a 422 into InvalidSpecError carrying every cause field', async () => {
    handler = (_req, res) =>
      status(res, 422, 'Invalid', 'Rollout.sluice.dev "shop" is invalid', {
        details: {
          name: 'shop',
          kind: 'Rollout',
          causes: [
            { field: 'spec.strategy.canary.steps[0].setWeight', message: 'must be <= 100' },
            { field: 'spec.targetRef.name', message: 'Required value' },
          ],
        },
      });
    const err = await expectError(clients.patchMerge(ref, {}));
    expect(err).to.be.instanceOf(InvalidSpecError);
    expect((err as InvalidSpecError).field).to.equal(
      'spec.strategy.canary.steps[0].setWeight, spec.targetRef.name',
    );
    expect(err.details?.fields).to.deep.equal([
      'spec.strategy.canary.steps[0].setWeight',
      'spec.targetRef.name',
    ]);
    expect(err.message).to.contain('is invalid');
  });

  it('keeps the server message of other refusals and marks 5xx and 429 retriable', async () => {
    handler = (_req, res) => status(res, 400, 'BadRequest', 'admission webhook denied the request');
    const bad = await expectError(clients.patchMerge(ref, {}));
    expect(bad).to.be.instanceOf(ClusterApiError);
    expect(bad.code).to.equal('BadRequest');
    expect(bad.retriable).to.equal(false);
    expect(bad.message).to.contain('admission webhook denied the request').and.contain('demo/shop');

    handler = (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('upstream connect error');
    };
    const down = await expectError(clients.patchMerge(ref, {}));
    expect(down.code).to.equal('Unavailable');
    expect(down.retriable).to.equal(true);
    expect(down.message).to.contain('upstream connect error');

    handler = (_req, res) => status(res, 429, 'TooManyRequests', 'slow down');
    const limited = await expectError(clients.patchMerge(ref, {}));
    expect(limited.code).to.equal('RateLimited');
    expect(limited.retriable).to.equal(true);
  });

  it('gives up after its timeout on a server that never answers', async () => {
    handler = () => undefined;
    const started = Date.now();
    const err = await expectError(clients.patchMerge(ref, {}, { timeoutMs: 150 }));
    expect(Date.now() - started).to.be.lessThan(1500);
    expect(err).to.be.instanceOf(ClusterApiError);
    expect(err.retriable).to.equal(true);
    expect(err.message).to.contain('no answer within 150 ms');
  });

  it('stops when the caller aborts', async () => {
    handler = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await expectError(clients.patchMerge(ref, {}, { signal: controller.signal }));
    expect(err.details?.aborted).to.equal(true);
    expect(err.message).to.contain('cancelled');
  });

  it('reports an unreachable API server as retriable', async () => {
    const kc = new KubeConfig();
    const probe = createServer();
    const port = await listenOnLoopback(probe);
    await closeServer(probe);
    kc.loadFromOptions({
      clusters: [{ name: 'gone', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'gone' }],
      contexts: [{ name: 'gone', cluster: 'gone', user: 'gone' }],
      currentContext: 'gone',
    });
    const err = await expectError(createKubeClients(kc).patchMerge(ref, {}));
    expect(err.code).to.equal('Unavailable');
    expect(err.retriable).to.equal(true);
    expect(err.message).to.contain('unreachable');
  });
});
