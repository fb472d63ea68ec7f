import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { CRD_DIR, CRD_INPUTS, renderCrds } from '../../../scripts/gen-crds.js';
import { type JsonSchema } from '../../../src/adapters/kubernetes/crd-schemas.js';
import { createSchemaValidator } from '../../../src/adapters/kubernetes/parse.js';
import { loadYamlDocs, repoPath } from './helpers.js';

function walk(schema: JsonSchema, at: string, visit: (s: JsonSchema, at: string) => void): void {
  visit(schema, at);
  for (const [key, child] of Object.entries(schema.properties ?? {}))
    walk(child, `${at}.${key}`, visit);
  if (schema.items) walk(schema.items, `${at}[]`, visit);
  if (typeof schema.additionalProperties === 'object')
    walk(schema.additionalProperties, `${at}{}`, visit);
}

interface CrdDoc {
  metadata: { name: string };
  spec: {
    names: { kind: string; shortNames: string[]; categories: string[] };
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: { status?: object };
      schema: { openAPIV3Schema: JsonSchema };
      additionalPrinterColumns: Array<{ name: string; jsonPath: string }>;
    }>;
  };
}

async function committedCrd(file: string): Promise<CrdDoc> {
  return parse(await readFile(path.join(CRD_DIR, file), 'utf8')) as CrdDoc;
}

describe('manifests/crds', () => {
  it('are exactly what scripts/gen-crds.ts generates (run it after changing crd-schemas.ts)', async () => {
    for (const [file, text] of renderCrds()) {
      const committed = await readFile(path.join(CRD_DIR, file), 'utf8');
      expect(committed, `manifests/crds/${file} is stale`).to.equal(text);
    }
  });

  it('define the five kinds with short names, the sluice category and one served storage version', async () => {
    const byKind: Record<string, string> = {};
    for (const input of CRD_INPUTS) {
      const crd = await committedCrd(input.file);
      const [version, ...others] = crd.spec.versions;
      expect(others).to.have.length(0);
      expect(version).to.include({ name: 'v1alpha1', served: true, storage: true });
      expect(crd.spec.names.categories).to.deep.equal(['sluice']);
      byKind[crd.spec.names.kind] = crd.spec.names.shortNames.join(',');
    }
    expect(byKind).to.deep.equal({
      Rollout: 'ro',
      AnalysisTemplate: 'at',
      ClusterAnalysisTemplate: 'cat',
      AnalysisRun: 'ar',
      ServiceLevelObjective: 'slo',
    });
  });

  it('give Rollout and AnalysisRun a status subresource and the agreed printer columns', async () => {
    const rollout = (await committedCrd('rollouts.yaml')).spec.versions[0];
    const run = (await committedCrd('analysisruns.yaml')).spec.versions[0];
    expect(rollout?.subresources?.status).to.deep.equal({});
    expect(run?.subresources?.status).to.deep.equal({});
    expect(rollout?.additionalPrinterColumns.map((c) => c.jsonPath)).to.deep.equal([
      '.status.phase',
      '.status.currentStepIndex',
      '.status.weights.canary',
      '.status.stableRevision',
      '.status.canaryRevision',
      '.metadata.creationTimestamp',
    ]);
    expect(run?.additionalPrinterColumns.map((c) => c.name)).to.deep.equal([
      'Phase',
      'Rollout',
      'Step',
      'Age',
    ]);
  });

  it('are structural schemas: every node typed and described, no additionalProperties beside properties', () => {
    for (const input of CRD_INPUTS) {
      walk(input.schema, input.kind, (s, at) => {
        expect(s.type, `${at} has no type`).to.be.a('string');
        if (at !== `${input.kind}.metadata` && !at.endsWith('{}') && !at.endsWith('.value[]'))
          expect(s.description, `${at} has no description`).to.match(/\S/);
        if (s.properties) expect(s.additionalProperties, at).to.equal(undefined);
        for (const key of s['x-kubernetes-list-map-keys'] ?? [])
          expect(s.items?.required ?? [], `${at} list-map key ${key}`).to.include(key);
      });
    }
  });

  it('compile in ajv with the x-kubernetes keywords known', () => {
    const ajv = createSchemaValidator();
    for (const input of CRD_INPUTS) expect(() => ajv.compile(input.schema)).not.to.throw();
  });
});

describe('CRD schemas against documents', () => {
  const ajv = createSchemaValidator();
  const validators = new Map(CRD_INPUTS.map((i) => [i.kind, ajv.compile(i.schema)]));
  const validate = (doc: unknown): boolean => {
    const kind = (doc as { kind: string }).kind;
    const v = validators.get(kind);
    if (v === undefined) throw new Error(`no schema for kind ${kind}`);
    return v(doc);
  };

  it('accept every shipped example Rollout and analysis template', async () => {
    const docs = [
      ...(await loadYamlDocs(repoPath('examples'))),
      ...(await loadYamlDocs(repoPath('analysis-templates'))),
    ].filter((d) => (d.doc as { apiVersion?: string }).apiVersion === 'sluice.dev/v1alpha1');
    expect(docs.map((d) => path.basename(d.file))).to.include.members([
      'rollout.yaml',
      'rollout-blue-green.yaml',
      'success-rate.yaml',
      'latency-p99.yaml',
    ]);
    for (const { file, doc } of docs) expect(validate(doc), file).to.equal(true);
  });

  const base = (): Record<string, unknown> => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'shop' },
    spec: {
      targetRef: { kind: 'Deployment', name: 'shop' },
      trafficRouting: { istio: { virtualService: { name: 'shop', routes: ['primary'] } } },
      strategy: { canary: { steps: [{ setWeight: 20 }] } },
    },
  });
  const withSpec = (patch: (spec: Record<string, unknown>) => void) => {
    const doc = base();
    patch(doc.spec as Record<string, unknown>);
    return doc;
  };
  const canary = (steps: unknown[]) => withSpec((s) => (s.strategy = { canary: { steps } }));

  const steps0 = '/spec/strategy/canary/steps/0';
  // [what, document, the instancePath ajv must blame]
  const malformed: Array<[string, unknown, string]> = [
    ['a weight above 100', canary([{ setWeight: 150 }]), `${steps0}/setWeight`],
    ['a negative weight', canary([{ setWeight: -1 }]), `${steps0}/setWeight`],
    ['a fractional weight', canary([{ setWeight: 12.5 }]), `${steps0}/setWeight`],
    ['a string weight', canary([{ setWeight: '20' }]), `${steps0}/setWeight`],
    ['a step with two kinds', canary([{ setWeight: 10, pause: {} }]), steps0],
    ['an empty step', canary([{}]), steps0],
    ['no steps', canary([]), '/spec/strategy/canary/steps'],
    [
      'a spoken duration',
      canary([{ pause: { duration: '30 seconds' } }]),
      `${steps0}/pause/duration`,
    ],
    [
      'a percent above 100',
      canary([{ setFlag: { flag: 'f', percent: 101 } }]),
      `${steps0}/setFlag/percent`,
    ],
    [
      'an unknown onDeadline',
      canary([{ gate: { url: 'http://x', onDeadline: 'retry' } }]),
      `${steps0}/gate/onDeadline`,
    ],
    [
      'a StatefulSet target',
      withSpec((s) => (s.targetRef = { kind: 'StatefulSet', name: 'x' })),
      '/spec/targetRef/kind',
    ],
    ['no trafficRouting', withSpec((s) => delete s.trafficRouting), '/spec'],
    [
      'no routes',
      withSpec(
        (s) => (s.trafficRouting = { istio: { virtualService: { name: 'v', routes: [] } } }),
      ),
      '/spec/trafficRouting/istio/virtualService/routes',
    ],
    [
      'an unknown noData policy',
      withSpec((s) => (s.analysis = { noData: 'skip' })),
      '/spec/analysis/noData',
    ],
    [
      'a negative failureLimit',
      withSpec((s) => (s.analysis = { failureLimit: -1 })),
      '/spec/analysis/failureLimit',
    ],
    ['a port out of range', withSpec((s) => (s.service = { port: 70000 })), '/spec/service/port'],
    [
      'a week-long auto promotion plus one second',
      withSpec((s) => (s.strategy = { blueGreen: { autoPromotionSeconds: 604801 } })),
      '/spec/strategy/blueGreen/autoPromotionSeconds',
    ],
  ];
  for (const [what, doc, blamed] of malformed)
    it(`rejects a Rollout with ${what}, blaming ${blamed}`, () => {
      const v = validators.get('Rollout');
      expect(v?.(doc)).to.equal(false);
      expect(v?.errors?.map((e) => e.instancePath)).to.include(blamed);
    });

  it('accepts the minimal Rollout the malformed cases are built from', () => {
    expect(validate(base())).to.equal(true);
  });

  it('rejects an AnalysisTemplate without metrics or with a metric without a query', () => {
    const t = (spec: unknown) => ({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 't' },
      spec,
    });
    expect(validate(t({ metrics: [] }))).to.equal(false);
    expect(validate(t({ metrics: [{ name: 'm', provider: { prometheus: {} } }] }))).to.equal(false);
    expect(
      validate(t({ metrics: [{ name: 'm', provider: { prometheus: { query: 'up' } } }] })),
    ).to.equal(true);
  });

  it('rejects an AnalysisRun whose step is below -1 or whose status phase is unknown', () => {
    const run = (step: number, phase: string) => ({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisRun',
      metadata: { name: 'r' },
      spec: {
        rollout: 'shop',
        revision: 'abc',
        step,
        metrics: [{ name: 'm', provider: { prometheus: { query: 'up' } } }],
      },
      status: { phase, metricResults: [] },
    });
    expect(validate(run(-1, 'Running'))).to.equal(true);
    expect(validate(run(-2, 'Running'))).to.equal(false);
    expect(validate(run(0, 'Done'))).to.equal(false);
  });
});
