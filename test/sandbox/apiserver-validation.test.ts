import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { apiError, startSandbox, widget, WIDGETS, type Sandbox } from './helpers.js';

type Obj = Record<string, unknown> & {
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
};
const NS = 'default';
const ROLLOUTS = { group: 'sluice.dev', version: 'v1alpha1', plural: 'rollouts' } as const;
const VS = { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' } as const;

function exampleRollout(): Obj {
  const doc = parse(
    readFileSync(new URL('../../examples/rollout.yaml', import.meta.url), 'utf8'),
  ) as Obj;
  doc.metadata = { name: doc.metadata['name'] };
  return doc;
}

function causes(
  body: Record<string, unknown>,
): { field: string; reason: string; message: string }[] {
  const details = body['details'] as {
    causes?: { field: string; reason: string; message: string }[];
  };
  return details.causes ?? [];
}

function virtualService(
  name: string,
  http: unknown[],
  hosts: unknown = ['shop'],
): Record<string, unknown> {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name },
    spec: { hosts, http },
  };
}

describe('sandbox API server: validation', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox();
  });
  after(async () => {
    await sb.server.close();
  });

  it('accepts the example Rollout under the Sluice CRD from manifests/crds', async () => {
    const created = (await sb.custom.createNamespacedCustomObject({
      ...ROLLOUTS,
      namespace: NS,
      body: exampleRollout(),
    })) as Obj;
    expect(created.metadata['generation']).to.equal(1);
    expect(created.spec['targetRef']).to.deep.include({ kind: 'Deployment', name: 'shop' });
  });

  it('rejects a Rollout whose setWeight is above the maximum, naming the field path', async () => {
    const bad = exampleRollout();
    bad.metadata = { name: 'too-heavy' };
    const steps = (
      (bad.spec['strategy'] as Record<string, unknown>)['canary'] as Record<string, unknown>
    )['steps'] as Record<string, unknown>[];
    steps[0] = { setWeight: 150 };
    const err = await apiError(() =>
      sb.custom.createNamespacedCustomObject({ ...ROLLOUTS, namespace: NS, body: bad }),
    );
    expect(err.code).to.equal(422);
    expect(err.body).to.include({ reason: 'Invalid', status: 'Failure' });
    expect(causes(err.body).map((c) => c.field)).to.include(
      'spec.strategy.canary.steps[0].setWeight',
    );
  });

  it('names every failing field: wrong type, missing required, out of range, unknown enum value, pattern, minItems', async () => {
    const err = await apiError(() =>
      sb.custom.createNamespacedCustomObject({
        ...WIDGETS,
        namespace: NS,
        body: widget('bad', { size: 'three', color: 'purple', code: 'NOPE', tags: [] }),
      }),
    );
    expect(err.code).to.equal(422);
    const byField = new Map(causes(err.body).map((c) => [c.field, c.reason]));
    expect(byField.get('spec.size')).to.equal('FieldValueTypeInvalid');
    expect(byField.get('spec.color')).to.equal('FieldValueNotSupported');
    expect(byField.get('spec.code')).to.equal('FieldValueInvalid');
    expect(byField.get('spec.tags')).to.equal('FieldValueInvalid');
    const missing = await apiError(() =>
      sb.custom.createNamespacedCustomObject({
        ...WIDGETS,
        namespace: NS,
        body: widget('missing', {}),
      }),
    );
    expect(causes(missing.body)).to.deep.include({
      reason: 'FieldValueRequired',
      message: 'Required value',
      field: 'spec.size',
    });
    const range = await apiError(() =>
      sb.custom.createNamespacedCustomObject({
        ...WIDGETS,
        namespace: NS,
        body: widget('range', { size: 0 }),
      }),
    );
    expect(causes(range.body)[0]?.field).to.equal('spec.size');
    expect(String(range.body['message'])).to.contain('should be greater than or equal to 1');
  });

  it('validates on update as well as on create', async () => {
    await sb.custom.createNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      body: widget('upd'),
    });
    const err = await apiError(() =>
      sb.custom.replaceNamespacedCustomObject({
        ...WIDGETS,
        namespace: NS,
        name: 'upd',
        body: widget('upd', { size: 11 }),
      }),
    );
    expect(err.code).to.equal(422);
    expect(causes(err.body)[0]?.field).to.equal('spec.size');
  });

  it('checks int-or-string, nullable, oneOf and array item fields', async () => {
    const ok = (await sb.custom.createNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      body: widget('kinds', { size: 2, port: 'http', note: null, choice: { a: 'x' } }),
    })) as Obj;
    expect(ok.spec).to.deep.include({ port: 'http', note: null });
    const err = await apiError(() =>
      sb.custom.createNamespacedCustomObject({
        ...WIDGETS,
        namespace: NS,
        body: widget('kinds2', {
          size: 2,
          port: true,
          choice: { a: 'x', b: 'y' },
          tags: [{ label: 'no-name' }],
        }),
      }),
    );
    const fields = causes(err.body).map((c) => c.field);
    expect(fields).to.include.members(['spec.port', 'spec.choice', 'spec.tags[0].name']);
  });

  it('prunes unknown fields silently, keeps x-kubernetes-preserve-unknown-fields, and fills defaults', async () => {
    const created = (await sb.custom.createNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      body: {
        ...widget('prune', { size: 2, bogus: 1, extra: { anything: { goes: true } } }),
        junk: 'x',
      },
    })) as Obj;
    expect(created.spec).to.not.have.property('bogus');
    expect(created).to.not.have.property('junk');
    expect(created.spec['extra']).to.deep.equal({ anything: { goes: true } });
    expect(created.spec).to.include({ color: 'green', replicas: 1 });
  });

  it('rejects unknown fields with 400 when the client asks for fieldValidation=Strict', async () => {
    const res = await fetch(
      `${sb.server.url}/apis/test.sluice.dev/v1/namespaces/default/widgets?fieldValidation=Strict`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(widget('strict', { size: 2, bogus: 1 })),
      },
    );
    expect(res.status).to.equal(400);
    expect(((await res.json()) as Record<string, unknown>)['message']).to.contain(
      'unknown field "spec.bogus"',
    );
  });

  it('validates VirtualServices as Istio does: integer weights >= 0, no all-zero route, hosts and destination hosts', async () => {
    const good = virtualService('vs-good', [
      {
        name: 'primary',
        route: [
          { destination: { host: 'a' }, weight: 100 },
          { destination: { host: 'b' }, weight: 0 },
        ],
      },
    ]);
    await sb.custom.createNamespacedCustomObject({ ...VS, namespace: NS, body: good });
    const single = virtualService('vs-single', [
      { route: [{ destination: { host: 'a' }, weight: 0 }] },
    ]);
    await sb.custom.createNamespacedCustomObject({ ...VS, namespace: NS, body: single });
    const cases: [Record<string, unknown>, string, string][] = [
      [
        virtualService('vs-zero', [
          {
            route: [
              { destination: { host: 'a' }, weight: 0 },
              { destination: { host: 'b' }, weight: 0 },
            ],
          },
        ]),
        'spec.http[0].route',
        'total destination weight = 0',
      ],
      [
        virtualService('vs-neg', [
          {
            route: [
              { destination: { host: 'a' }, weight: 110 },
              { destination: { host: 'b' }, weight: -10 },
            ],
          },
        ]),
        'spec.http[0].route[1].weight',
        '< 0',
      ],
      [
        virtualService('vs-frac', [
          {
            route: [
              { destination: { host: 'a' }, weight: 50.5 },
              { destination: { host: 'b' }, weight: 49.5 },
            ],
          },
        ]),
        'spec.http[0].route[0].weight',
        'integer',
      ],
      [
        virtualService('vs-nohost', [{ route: [{ destination: {}, weight: 100 }] }]),
        'spec.http[0].route[0].destination.host',
        'host',
      ],
      [
        virtualService('vs-nohosts', [{ route: [{ destination: { host: 'a' } }] }], []),
        'spec.hosts',
        'at least one host',
      ],
    ];
    for (const [body, field, text] of cases) {
      const err = await apiError(() =>
        sb.custom.createNamespacedCustomObject({ ...VS, namespace: NS, body }),
      );
      expect(err.code, field).to.equal(422);
      const cause = causes(err.body).find((c) => c.field === field);
      expect(cause, `cause for ${field}`).to.not.equal(undefined);
      expect(cause?.message).to.contain(text);
    }
  });

  it('serves VirtualServices in v1, v1beta1 and v1alpha3 from one storage', async () => {
    await sb.custom.createNamespacedCustomObject({
      ...VS,
      version: 'v1beta1',
      namespace: NS,
      body: {
        ...virtualService('vs-multi', [{ route: [{ destination: { host: 'a' } }] }]),
        apiVersion: 'networking.istio.io/v1beta1',
      },
    });
    const asAlpha = (await sb.custom.getNamespacedCustomObject({
      ...VS,
      version: 'v1alpha3',
      namespace: NS,
      name: 'vs-multi',
    })) as Obj;
    expect(asAlpha['apiVersion']).to.equal('networking.istio.io/v1alpha3');
    const asV1 = (await sb.custom.getNamespacedCustomObject({
      ...VS,
      namespace: NS,
      name: 'vs-multi',
    })) as Obj;
    expect(asV1.metadata['uid']).to.equal(asAlpha.metadata['uid']);
  });

  it('registers the resource of a CRD created through the API, and drops it when the CRD is deleted', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.sluice.dev' },
      spec: {
        group: 'sluice.dev',
        scope: 'Namespaced',
        names: {
          plural: 'widgets',
          singular: 'widget',
          kind: 'Widget',
          shortNames: ['wd'],
        },
        versions: [
          {
            name: 'v1alpha1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    required: ['objective'],
                    properties: { objective: { type: 'number', maximum: 100 } },
                  },
                },
              },
            },
          },
        ],
      },
    };
    const res = await fetch(
      `${sb.server.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(crd),
      },
    );
    expect(res.status).to.equal(201);
    const widget = { group: 'sluice.dev', version: 'v1alpha1', plural: 'widgets' };
    await sb.custom.createNamespacedCustomObject({
      ...widget,
      namespace: NS,
      body: {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'Widget',
        metadata: { name: 'checkout' },
        spec: { objective: 99.9 },
      },
    });
    const err = await apiError(() =>
      sb.custom.createNamespacedCustomObject({
        ...widget,
        namespace: NS,
        body: {
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'Widget',
          metadata: { name: 'bad' },
          spec: { objective: 101 },
        },
      }),
    );
    expect(err.code).to.equal(422);
    const del = await fetch(
      `${sb.server.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.sluice.dev`,
      { method: 'DELETE' },
    );
    expect(del.status).to.equal(200);
    const gone = await apiError(() =>
      sb.custom.listNamespacedCustomObject({ ...widget, namespace: NS }),
    );
    expect(gone.code).to.equal(404);
  });
});
