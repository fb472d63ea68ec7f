import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { parse } from 'yaml';
import {
  fieldPath,
  parseAnalysisRun,
  parseAnalysisTemplate,
  parseRollout,
} from '../../../src/adapters/kubernetes/parse.js';
import { InvalidSpecError } from '../../../src/domain/errors.js';
import { repoPath } from './helpers.js';

async function example(file: string): Promise<Record<string, unknown>> {
  return parse(await readFile(repoPath(file), 'utf8')) as Record<string, unknown>;
}

function invalid(fn: () => unknown): InvalidSpecError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidSpecError);
    return err as InvalidSpecError;
  }
  throw new Error('expected an InvalidSpecError, nothing was thrown');
}

function steps(doc: Record<string, unknown>): unknown[] {
  const spec = doc.spec as { strategy: { canary: { steps: unknown[] } } };
  return spec.strategy.canary.steps;
}

describe('parseRollout', () => {
  it('returns the typed example Rollout with its steps in order', async () => {
    const rollout = parseRollout(await example('examples/rollout.yaml'));
    expect(rollout.metadata).to.include({ name: 'shop', namespace: 'demo' });
    expect(rollout.spec.strategy.canary?.steps.map((s) => Object.keys(s)[0])).to.deep.equal([
      'setWeight',
      'analysis',
      'setWeight',
      'pause',
      'setWeight',
    ]);
  });

  it('names the field path and the allowed range for a weight out of range', async () => {
    const doc = await example('examples/rollout.yaml');
    steps(doc)[2] = { setWeight: 150 };
    const err = invalid(() => parseRollout(doc));
    expect(err.field).to.equal('spec.strategy.canary.steps[2].setWeight');
    expect(err.message).to.contain('from 0 to 100').and.contain('150');
    expect(err.details?.resource).to.equal('Rollout demo/shop');
  });

  it('names a missing required field by its full path', async () => {
    const doc = await example('examples/rollout.yaml');
    delete (doc.spec as Record<string, unknown>).targetRef;
    const err = invalid(() => parseRollout(doc));
    expect(err.field).to.equal('spec.targetRef');
    expect(err.message).to.contain('required');
  });

  it('says which kinds a step mixes', async () => {
    const doc = await example('examples/rollout.yaml');
    steps(doc)[0] = { setWeight: 20, pause: { duration: '10s' } };
    const err = invalid(() => parseRollout(doc));
    expect(err.field).to.equal('spec.strategy.canary.steps[0]');
    expect(err.message).to.contain('exactly one of').and.contain('setWeight, pause');
  });

  it('applies the semantic rules too: a decreasing weight names its step', async () => {
    const doc = await example('examples/rollout.yaml');
    steps(doc)[2] = { setWeight: 10 };
    const err = invalid(() => parseRollout(doc));
    expect(err.field).to.equal('spec.strategy.canary.steps[2].setWeight');
    expect(err.message).to.contain('lower than 20 set at step 0');
  });

  it('lists every problem in details, not only the first', async () => {
    const doc = await example('examples/rollout.yaml');
    steps(doc)[0] = { setWeight: 101 };
    steps(doc)[3] = { pause: { duration: 'soon' } };
    const err = invalid(() => parseRollout(doc));
    const problems = err.details?.problems as Array<{ field: string }>;
    expect(problems.map((p) => p.field)).to.include.members([
      'spec.strategy.canary.steps[0].setWeight',
      'spec.strategy.canary.steps[3].pause.duration',
    ]);
    // ...and in the message, which is what a status condition and an Event show.
    expect(err.message).to.contain('spec.strategy.canary.steps[3].pause.duration');
  });

  it('drops fields the schema does not declare, as the API server prunes them', async () => {
    const doc = await example('examples/rollout.yaml');
    (doc.spec as Record<string, unknown>).replicas = 3;
    (doc.metadata as Record<string, unknown>).managedFields = [{ manager: 'kubectl' }];
    const rollout = parseRollout(doc);
    expect(rollout.spec).not.to.have.property('replicas');
    expect(rollout.metadata).not.to.have.property('managedFields');
    expect((doc.spec as Record<string, unknown>).replicas).to.equal(3);
  });

  it('keeps labels and annotations, which are maps', async () => {
    const doc = await example('examples/rollout.yaml');
    (doc.metadata as Record<string, unknown>).annotations = { 'sluice.dev/promote': 'req-1' };
    expect(parseRollout(doc).metadata.annotations).to.deep.equal({
      'sluice.dev/promote': 'req-1',
    });
  });

  it('refuses another kind or apiVersion, and a value that is not an object', async () => {
    const doc = await example('examples/rollout.yaml');
    expect(invalid(() => parseRollout({ ...doc, kind: 'Deployment' })).field).to.equal('kind');
    expect(invalid(() => parseRollout({ ...doc, apiVersion: 'sluice.dev/v1' })).field).to.equal(
      'apiVersion',
    );
    expect(invalid(() => parseRollout('shop')).field).to.equal('(root)');
  });

  it('validates status too, so a corrupt status is not trusted', async () => {
    const doc = await example('examples/rollout.yaml');
    doc.status = { phase: 'Exploded', weights: { stable: 80, canary: 20 } };
    expect(invalid(() => parseRollout(doc)).field).to.equal('status.phase');
    doc.status = { phase: 'Progressing', stepStartedAt: 'yesterday' };
    expect(invalid(() => parseRollout(doc)).message).to.contain('RFC 3339');
  });

  it('parses the blue-green example', async () => {
    const rollout = parseRollout(await example('examples/rollout-blue-green.yaml'));
    expect(rollout.spec.strategy.blueGreen?.scaleDownDelaySeconds).to.equal(600);
  });
});

describe('parseAnalysisTemplate', () => {
  it('parses each shipped template', async () => {
    for (const file of ['success-rate', 'latency-p99', 'error-rate-vs-primary']) {
      const t = parseAnalysisTemplate(await example(`analysis-templates/${file}.yaml`));
      expect(t.kind).to.equal('ClusterAnalysisTemplate');
      expect(t.spec.metrics[0]?.name).to.equal(file);
    }
  });

  it('refuses a query placeholder naming an undeclared argument', async () => {
    const doc = await example('analysis-templates/latency-p99.yaml');
    (doc.spec as { args: unknown[] }).args = [{ name: 'service' }];
    const err = invalid(() => parseAnalysisTemplate(doc));
    expect(err.field).to.equal('spec.metrics[0].provider.prometheus.query');
    expect(err.message).to.contain('{{args.namespace}}');
  });
});

describe('parseAnalysisRun', () => {
  const run = () => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AnalysisRun',
    metadata: { name: 'shop-abc-1', namespace: 'demo' },
    spec: {
      rollout: 'shop',
      revision: 'abc',
      step: 1,
      metrics: [
        {
          name: 'success-rate',
          successCondition: 'result[0] >= 0.99',
          provider: { prometheus: { query: 'up' } },
        },
      ],
    },
    status: {
      phase: 'Running',
      metricResults: [
        {
          name: 'success-rate',
          phase: 'Running',
          count: 1,
          successful: 0,
          failed: 0,
          inconclusive: 1,
          error: 0,
          consecutiveError: 0,
          measurements: [
            {
              phase: 'Inconclusive',
              noData: true,
              startedAt: '2026-01-01T00:00:00Z',
              finishedAt: '2026-01-01T00:00:01.250Z',
              message: 'no data: empty result',
            },
          ],
        },
      ],
    },
  });

  it('parses a run with its measurements', () => {
    const parsed = parseAnalysisRun(run());
    expect(parsed.status?.metricResults[0]?.measurements[0]?.noData).to.equal(true);
  });

  it('refuses duplicate metric names', () => {
    const doc = run();
    doc.spec.metrics.push({ ...doc.spec.metrics[0]! }); // the list has one element
    expect(invalid(() => parseAnalysisRun(doc)).field).to.equal('spec.metrics[1].name');
  });

  it('refuses a negative counter in a metric result', () => {
    const doc = run();
    doc.status.metricResults[0]!.failed = -1; // built above with one result
    expect(invalid(() => parseAnalysisRun(doc)).field).to.equal('status.metricResults[0].failed');
  });
});

describe('fieldPath', () => {
  const cases: Array<[string, string | undefined, string]> = [
    ['', undefined, '(root)'],
    ['', 'spec', 'spec'],
    [
      '/spec/strategy/canary/steps/2/setWeight',
      undefined,
      'spec.strategy.canary.steps[2].setWeight',
    ],
    [
      '/metadata/annotations/sluice.dev~1promote',
      undefined,
      'metadata.annotations.sluice.dev/promote',
    ],
    ['/spec/metrics/0', 'name', 'spec.metrics[0].name'],
  ];
  for (const [pointer, child, expected] of cases)
    it(`turns ${JSON.stringify(pointer)} + ${String(child)} into ${expected}`, () =>
      expect(fieldPath(pointer, child)).to.equal(expected));
});
