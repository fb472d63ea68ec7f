import { expect } from 'chai';
import { Watch } from '@kubernetes/client-node';
import { apiError, startSandbox, widget, WIDGETS, type Sandbox } from './helpers.js';

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };
interface ListResult {
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: Obj[];
}
interface Seen {
  type: string;
  object: Obj;
}

const NS = 'reads';
const names = (l: ListResult): string[] => l.items.map((i) => String(i.metadata['name']));

/** Opens a watch through client-node and collects its events until stopped. */
async function collect(
  sb: Sandbox,
  path: string,
  query: Record<string, string | number | boolean>,
) {
  const events: Seen[] = [];
  let ended = false;
  let endError: unknown;
  const watch = new Watch(sb.kc);
  const controller = await watch.watch(
    path,
    query,
    (type, object) => events.push({ type, object: object as Obj }),
    (err) => {
      ended = true;
      endError = err;
    },
  );
  return {
    events,
    ended: () => ended,
    endError: () => endError,
    stop: () => controller.abort(),
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('sandbox API server: lists and watches', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ bookmarkIntervalMs: 100 });
    await sb.core.createNamespace({ body: { metadata: { name: NS } } });
    const labels: Record<string, Record<string, string>> = {
      a: { tier: 'web', env: 'prod' },
      b: { tier: 'web', env: 'dev' },
      c: { tier: 'db' },
      d: {},
      e: { env: 'prod' },
    };
    for (const [name, l] of Object.entries(labels)) {
      await sb.custom.createNamespacedCustomObject({
        ...WIDGETS,
        namespace: NS,
        body: { ...widget(name), metadata: { name, labels: l } },
      });
    }
  });
  after(async () => {
    await sb.server.close();
  });

  const list = async (query: Record<string, string | number>): Promise<ListResult> =>
    (await sb.custom.listNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      ...query,
    })) as ListResult;

  it('returns the collection resourceVersion with a list', async () => {
    const l = await list({});
    expect(l.metadata.resourceVersion)
      .to.be.a('string')
      .and.equal(sb.server.store.resourceVersion());
    expect(names(l)).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
  });

  it('filters by label selectors with =, !=, in, notin, exists and !exists', async () => {
    const cases: [string, string[]][] = [
      ['tier=web', ['a', 'b']],
      ['tier==web,env=prod', ['a']],
      ['env!=prod', ['b', 'c', 'd']],
      ['tier in (web,db)', ['a', 'b', 'c']],
      ['env notin (prod)', ['b', 'c', 'd']],
      ['env', ['a', 'b', 'e']],
      ['!tier', ['d', 'e']],
    ];
    for (const [selector, want] of cases) {
      expect(names(await list({ labelSelector: selector })), selector).to.deep.equal(want);
    }
  });

  it('filters by metadata.name and metadata.namespace field selectors and refuses other fields with 400', async () => {
    expect(names(await list({ fieldSelector: 'metadata.name=c' }))).to.deep.equal(['c']);
    expect(
      names(await list({ fieldSelector: 'metadata.name!=c,metadata.namespace=reads' })),
    ).to.deep.equal(['a', 'b', 'd', 'e']);
    const all = (await sb.custom.listClusterCustomObject({
      ...WIDGETS,
      fieldSelector: `metadata.namespace=${NS}`,
    })) as ListResult;
    expect(all.items).to.have.length(5);
    const err = await apiError(() => list({ fieldSelector: 'spec.size=3' }));
    expect(err.code).to.equal(400);
  });

  it('pages with limit and continue', async () => {
    const first = await list({ limit: 2 });
    expect(names(first)).to.deep.equal(['a', 'b']);
    expect(first.metadata.remainingItemCount).to.equal(3);
    const token = first.metadata.continue ?? '';
    expect(token).to.not.equal('');
    const second = await list({ limit: 2, _continue: token });
    expect(names(second)).to.deep.equal(['c', 'd']);
    const third = await list({ limit: 2, _continue: second.metadata.continue ?? '' });
    expect(names(third)).to.deep.equal(['e']);
    expect(third.metadata.continue ?? '').to.equal('');
  });

  it('answers kubectl with a Table built from the CRD printer columns', async () => {
    const res = await fetch(
      `${sb.server.url}/apis/test.sluice.dev/v1/namespaces/${NS}/widgets?labelSelector=tier%3Dweb`,
      {
        headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
      },
    );
    const table = (await res.json()) as {
      kind: string;
      columnDefinitions: { name: string }[];
      rows: { cells: unknown[]; object: Obj }[];
    };
    expect(table.kind).to.equal('Table');
    expect(table.columnDefinitions.map((c) => c.name)).to.deep.equal([
      'Name',
      'Size',
      'Phase',
      'First-Tag',
      'Age',
    ]);
    expect(table.rows.map((r) => r.cells.slice(0, 2))).to.deep.equal([
      ['a', 3],
      ['b', 3],
    ]);
    expect(table.rows[0]?.cells[4]).to.match(/^\d+s$/);
    expect(table.rows[0]?.object).to.deep.include({ kind: 'PartialObjectMetadata' });
  });

  it('sends ADDED for every existing object when a watch has no resourceVersion', async () => {
    const w = await collect(sb, `/apis/test.sluice.dev/v1/namespaces/${NS}/widgets`, {});
    await until('five ADDED', () => w.events.length >= 5);
    w.stop();
    expect(w.events.map((e) => e.type)).to.deep.equal([
      'ADDED',
      'ADDED',
      'ADDED',
      'ADDED',
      'ADDED',
    ]);
  });

  it('streams ADDED, MODIFIED and DELETED after the given resourceVersion only', async () => {
    const rv = (await list({})).metadata.resourceVersion ?? '';
    await sb.custom.createNamespacedCustomObject({ ...WIDGETS, namespace: NS, body: widget('w1') });
    const w = await collect(sb, `/apis/test.sluice.dev/v1/namespaces/${NS}/widgets`, {
      resourceVersion: rv,
    });
    await sb.custom.patchNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      name: 'w1',
      body: [{ op: 'replace', path: '/spec/size', value: 4 }],
    });
    await sb.custom.deleteNamespacedCustomObject({ ...WIDGETS, namespace: NS, name: 'w1' });
    await until('three events', () => w.events.length >= 3);
    w.stop();
    expect(w.events.map((e) => `${e.type} ${String(e.object.metadata['name'])}`)).to.deep.equal([
      'ADDED w1',
      'MODIFIED w1',
      'DELETED w1',
    ]);
    const rvs = w.events.map((e) => e.object.metadata['resourceVersion']);
    expect(new Set(rvs).size).to.equal(3);
  });

  it('tells a selector watch that an object left the selection with DELETED', async () => {
    await sb.custom.createNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      body: { ...widget('mover'), metadata: { name: 'mover', labels: { pick: 'yes' } } },
    });
    const w = await collect(sb, `/apis/test.sluice.dev/v1/namespaces/${NS}/widgets`, {
      labelSelector: 'pick=yes',
    });
    await until('initial', () => w.events.length >= 1);
    await sb.custom.patchNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      name: 'mover',
      body: [{ op: 'replace', path: '/metadata/labels/pick', value: 'no' }],
    });
    await until('left', () => w.events.length >= 2);
    w.stop();
    expect(w.events.map((e) => e.type)).to.deep.equal(['ADDED', 'DELETED']);
  });

  it('sends periodic BOOKMARK events carrying only a resourceVersion when asked', async () => {
    const rv = sb.server.store.resourceVersion();
    const w = await collect(sb, `/apis/test.sluice.dev/v1/namespaces/${NS}/widgets`, {
      resourceVersion: rv,
      allowWatchBookmarks: true,
    });
    await until('bookmark', () => w.events.some((e) => e.type === 'BOOKMARK'));
    w.stop();
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark?.object.metadata).to.deep.equal({
      resourceVersion: sb.server.store.resourceVersion(),
    });
  });

  it('ends the stream after timeoutSeconds so the client reconnects', async () => {
    const started = Date.now();
    const w = await collect(sb, `/apis/test.sluice.dev/v1/namespaces/${NS}/widgets`, {
      resourceVersion: sb.server.store.resourceVersion(),
      timeoutSeconds: 1,
    });
    await until('end', () => w.ended(), 4000);
    expect(Date.now() - started).to.be.within(900, 3000);
  });
});

describe('sandbox API server: watch history', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ historyLimit: 5 });
  });
  after(async () => {
    await sb.server.close();
  });

  it('answers a watch from a resourceVersion older than the history with ERROR 410 Expired', async () => {
    const start = sb.server.store.resourceVersion();
    for (let i = 0; i < 8; i += 1) {
      await sb.custom.createNamespacedCustomObject({
        ...WIDGETS,
        namespace: 'default',
        body: widget(`h${i}`),
      });
    }
    const w = await collect(sb, '/apis/test.sluice.dev/v1/namespaces/default/widgets', {
      resourceVersion: start,
    });
    await until('error', () => w.events.length >= 1);
    await until('end', () => w.ended());
    expect(w.events[0]?.type).to.equal('ERROR');
    expect(w.events[0]?.object).to.deep.include({
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      status: 'Failure',
    });
  });

  it('still replays from a resourceVersion inside the history', async () => {
    const rv = Number(sb.server.store.resourceVersion());
    await sb.custom.createNamespacedCustomObject({
      ...WIDGETS,
      namespace: 'default',
      body: widget('recent'),
    });
    const w = await collect(sb, '/apis/test.sluice.dev/v1/namespaces/default/widgets', {
      resourceVersion: String(rv),
    });
    await until('replay', () => w.events.length >= 1);
    w.stop();
    expect(w.events[0]).to.deep.include({ type: 'ADDED' });
    expect(w.events[0]?.object.metadata['name']).to.equal('recent');
  });
});
