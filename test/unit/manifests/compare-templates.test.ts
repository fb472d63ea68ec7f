import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse, stringify } from 'yaml';
import { parseAnalysisTemplate } from '../../../src/adapters/kubernetes/parse.js';
import { resolveCompare } from '../../../src/domain/compare.js';
import { parseDuration } from '../../../src/domain/duration.js';
import { resolveTemplates } from '../../../src/domain/templates.js';
import type { AnalysisTemplate } from '../../../src/domain/types.js';
import { repoPath } from './helpers.js';

// The shipped canary-vs-baseline and burn-rate templates: they parse, resolve with a Rollout's
// arguments, and their queries (both sides, every window) are PromQL that promtool accepts.

async function template(name: string): Promise<AnalysisTemplate> {
  const text = await readFile(repoPath('analysis-templates', `${name}.yaml`), 'utf8');
  return parseAnalysisTemplate(parse(text));
}

const FIELD = 'spec.strategy.canary.steps[1].analysis';

describe('analysis-templates for compare and burn rate', () => {
  it('canary-vs-baseline compares errors and slow requests sequentially on both workloads', async () => {
    const t = await template('canary-vs-baseline');
    const metrics = resolveTemplates(
      [{ kind: t.kind, name: t.metadata.name, spec: t.spec }],
      [{ name: 'namespace', value: 'demo' }],
      FIELD,
    );
    expect(metrics.map((m) => m.name)).to.deep.equal(['errors-vs-baseline', 'slow-vs-baseline']);
    for (const m of metrics) {
      expect(m.compare?.test).to.equal('sequential');
      const r = resolveCompare(m.compare ?? { test: 'sequential', metric: 'errorRate' }, {
        canary: 'shop',
        baseline: 'shop-baseline',
        intervalMs: parseDuration(m.interval ?? '30s'),
      });
      expect(r.canary?.requests).to.contain('destination_workload="shop"');
      expect(r.baseline?.errors).to.contain('destination_workload="shop-baseline"');
      expect(r.canary?.errors).to.contain('[1m]').and.not.to.contain('{{');
    }
  });

  it('burn-rate names its SLO through an argument', async () => {
    const t = await template('burn-rate');
    const [m] = resolveTemplates(
      [{ kind: t.kind, name: t.metadata.name, spec: t.spec }],
      [{ name: 'slo', value: 'shop-availability' }],
      FIELD,
    );
    expect(m?.burnRate).to.deep.equal({ slo: 'shop-availability' });
  });

  it('have compare queries that promtool accepts once filled in', async function () {
    this.timeout(30_000);
    const t = await template('canary-vs-baseline');
    const rules = resolveTemplates(
      [{ kind: t.kind, name: t.metadata.name, spec: t.spec }],
      [{ name: 'namespace', value: 'demo' }],
      FIELD,
    ).flatMap((m) => {
      const r = resolveCompare(m.compare ?? { test: 'sequential', metric: 'errorRate' }, {
        canary: 'shop',
        baseline: 'shop-baseline',
        intervalMs: 60_000,
      });
      return Object.entries({ ...r.canary }).map(([k, expr]) => ({
        record: `sluice:${m.name.replace(/-/g, '_')}:${k}`,
        expr,
      }));
    });
    const dir = await mkdtemp(path.join(tmpdir(), 'sluice-compare-'));
    try {
      const file = path.join(dir, 'rules.yaml');
      await writeFile(file, stringify({ groups: [{ name: 'compare', rules }] }));
      const { stdout } = await promisify(execFile)('promtool', ['check', 'rules', file], {
        timeout: 20_000,
      }).catch((err: NodeJS.ErrnoException & { stderr?: string }) => {
        if (err.code === 'ENOENT')
          throw new Error('promtool is not installed; run scripts/ensure-deps.sh prometheus');
        throw new Error(`promtool refused a compare query: ${err.stderr ?? err.message}`);
      });
      expect(stdout).to.contain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
