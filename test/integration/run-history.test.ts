import { expect } from 'chai';
import type { AnalysisRun } from '../../src/domain/types.js';
import { KEEP_ANALYSIS_RUNS, runsToPrune } from '../../src/controller/run-history.js';
import { Harness } from '../support/harness.js';

// Old AnalysisRuns are pruned when a new one starts: the newest KEEP_ANALYSIS_RUNS of a rollout
// stay, runs in use or still running are never deleted.

function oldRun(name: string, rollout = 'shop'): AnalysisRun {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AnalysisRun',
    metadata: { name, namespace: 'demo', labels: { 'sluice.dev/rollout': rollout } },
    spec: {
      rollout,
      revision: 'old',
      step: 1,
      metrics: [
        { name: 'sr', successCondition: 'true', provider: { prometheus: { query: 'vector(1)' } } },
      ],
    },
  };
}

describe('AnalysisRun history', function () {
  this.timeout(60_000);
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('keeps the newest runs, and never one in use or still running', () => {
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
    const runs = Array.from({ length: 6 }, (_, i) => {
      const r = oldRun(`r${i}`);
      r.metadata.creationTimestamp = at(i);
      r.status = { phase: i === 1 ? 'Running' : 'Successful', metricResults: [] };
      return r;
    });
    const other = oldRun('theirs', 'cart');
    other.status = { phase: 'Failed', metricResults: [] };
    const rollout = { metadata: { name: 'shop' }, status: { analysisRuns: { step: 'r0' } } };
    const doomed = runsToPrune(rollout as never, [...runs, other], 2);
    expect(doomed.map((r) => r.metadata.name)).to.deep.equal(['r3', 'r2']);
  });

  it('prunes a rollout’s finished runs beyond the newest ten when a new run starts', async () => {
    h = await Harness.start({
      steps: [
        { setWeight: 20 },
        { analysis: { templates: [{ templateName: 'sr' }] } },
        { pause: {} },
      ],
      objects: [
        {
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'AnalysisTemplate',
          metadata: { name: 'sr', namespace: 'demo' },
          spec: {
            metrics: [
              {
                name: 'sr',
                interval: '1m',
                successCondition: 'result[0] >= 0.95',
                provider: { prometheus: { query: 'vector(1)' } },
              },
            ],
          },
        } as never,
      ],
    });
    await h.settle();
    for (let i = 0; i < KEEP_ANALYSIS_RUNS + 3; i++) {
      const name = `shop-old-${String(i).padStart(2, '0')}`;
      await h.resources.analysisRuns.create(oldRun(name));
      await h.resources.analysisRuns.patchStatusMerge(
        { namespace: 'demo', name },
        { status: { phase: 'Successful', metricResults: [] } },
      );
    }
    const foreign = oldRun('cart-old', 'cart');
    await h.resources.analysisRuns.create(foreign);
    await h.release('v2');
    await h.settle(8);
    const names = h.api.store
      .list('analysisruns', 'demo')
      .map((r) => (r as { metadata: { name: string } }).metadata.name)
      .sort();
    const current = (await h.rollout()).status?.analysisRuns?.step;
    expect(current).to.be.a('string');
    expect(names).to.include(current);
    expect(names).to.include('cart-old');
    // Ten of this rollout's runs in all (the new one among them); the three oldest went.
    expect(names.filter((n) => n !== 'cart-old')).to.have.length(KEEP_ANALYSIS_RUNS);
    for (const gone of ['shop-old-00', 'shop-old-01', 'shop-old-02', 'shop-old-03'])
      expect(names).to.not.include(gone);
  });
});
