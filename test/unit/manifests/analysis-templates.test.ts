import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse, stringify } from 'yaml';
import { parseAnalysisTemplate } from '../../../src/adapters/kubernetes/parse.js';
import { evaluateCondition, parseExpression } from '../../../src/domain/expression.js';
import type { AnalysisTemplate } from '../../../src/domain/types.js';
import { loadYamlDocs, repoPath } from './helpers.js';

// What a template becomes once the Rollout supplies the arguments without defaults.
const ROLLOUT_ARGS: Record<string, string> = { service: 'shop', namespace: 'demo' };

function render(text: string, template: AnalysisTemplate): string {
  const values = new Map<string, string>();
  for (const a of template.spec.args ?? []) if (a.value !== undefined) values.set(a.name, a.value);
  for (const [k, v] of Object.entries(ROLLOUT_ARGS)) values.set(k, v);
  return text.replace(/\{\{\s*args\.([\w.-]+)\s*\}\}/g, (_m, name: string) => {
    const v = values.get(name);
    if (v === undefined) throw new Error(`no value for {{args.${name}}}`);
    return v;
  });
}

async function shipped(): Promise<AnalysisTemplate[]> {
  const docs = await loadYamlDocs(repoPath('analysis-templates'));
  return docs.map((d) => parseAnalysisTemplate(d.doc));
}

async function template(name: string): Promise<AnalysisTemplate> {
  const text = await readFile(repoPath('analysis-templates', `${name}.yaml`), 'utf8');
  return parseAnalysisTemplate(parse(text));
}

describe('analysis-templates', () => {
  it('ships success-rate and latency-p99 as ClusterAnalysisTemplates, all listed in the kustomization', async () => {
    const templates = await shipped();
    const names = templates.map((t) => t.metadata.name);
    expect(names).to.include.members(['success-rate', 'latency-p99']);
    for (const t of templates) expect(t.kind).to.equal('ClusterAnalysisTemplate');
    const kustomization = parse(
      await readFile(repoPath('analysis-templates/kustomization.yaml'), 'utf8'),
    ) as { resources: string[] };
    expect(kustomization.resources.map((r) => r.replace(/\.yaml$/, '')).sort()).to.deep.equal(
      [...names].sort(),
    );
  });

  it('have conditions that parse in the expression language once arguments are filled in', async () => {
    for (const t of await shipped())
      for (const m of t.spec.metrics)
        for (const c of [m.successCondition, m.failureCondition])
          if (c !== undefined) expect(() => parseExpression(render(c, t)), c).not.to.throw();
  });

  it('query the Istio standard metrics of the canary Service with reporter="destination"', async () => {
    for (const t of await shipped()) {
      for (const m of t.spec.metrics) {
        if (!m.provider) continue; // compare and burnRate metrics: test/unit/domain/compare-templates.test.ts
        const q = render(m.provider.prometheus.query, t);
        expect(q, t.metadata.name).to.match(/istio_request/);
        expect(q).to.contain('destination_service_name="shop-canary"');
        expect(q).to.contain('destination_service_namespace="demo"');
        for (const selector of q.match(/\{[^}]*\}/g) ?? [])
          expect(selector, `${t.metadata.name}: every selector is scoped`).to.contain(
            'reporter="destination"',
          );
        expect(q).not.to.contain('{{');
      }
    }
  });

  it('judge success-rate by result[0] >= threshold (0.99 by default) and missing data as inconclusive', async () => {
    const t = await template('success-rate');
    const metric = t.spec.metrics[0];
    expect(metric?.noData).to.equal('inconclusive');
    const condition = parseExpression(render(metric?.successCondition ?? '', t));
    expect(evaluateCondition(condition, { result: [0.995] })).to.equal(true);
    expect(evaluateCondition(condition, { result: [0.98] })).to.equal(false);
    expect(metric?.provider?.prometheus.query).to.contain('response_code!~"5.."');
    expect(metric?.provider?.prometheus.query).to.contain('or vector(0)');
  });

  it('judge latency-p99 by result[0] <= threshold (500 ms by default) on the histogram buckets', async () => {
    const t = await template('latency-p99');
    const metric = t.spec.metrics[0];
    const condition = parseExpression(render(metric?.successCondition ?? '', t));
    expect(evaluateCondition(condition, { result: [499] })).to.equal(true);
    expect(evaluateCondition(condition, { result: [501] })).to.equal(false);
    expect(metric?.provider?.prometheus.query).to.match(
      /^histogram_quantile\(0\.99, sum by \(le\) \(rate\(istio_request_duration_milliseconds_bucket\{/,
    );
  });

  it('take window as an argument defaulting to 1m, so a demo can pass 30s', async () => {
    for (const t of (await shipped()).filter((s) => s.spec.metrics[0]?.provider)) {
      expect(t.spec.args?.find((a) => a.name === 'window')?.value).to.equal('1m');
      expect(t.spec.metrics[0]?.provider?.prometheus.query).to.contain('[{{args.window}}]');
    }
  });

  it('have queries that promtool accepts as PromQL once arguments are filled in', async function () {
    this.timeout(30_000);
    const rules = (await shipped()).flatMap((t) =>
      t.spec.metrics.flatMap((m) =>
        m.provider
          ? [
              {
                record: `sluice:${m.name.replace(/-/g, '_')}`,
                expr: render(m.provider.prometheus.query, t),
              },
            ]
          : [],
      ),
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'sluice-templates-'));
    try {
      const file = path.join(dir, 'rules.yaml');
      await writeFile(file, stringify({ groups: [{ name: 'templates', rules }] }));
      const { stdout } = await promisify(execFile)('promtool', ['check', 'rules', file], {
        timeout: 20_000,
      }).catch((err: NodeJS.ErrnoException & { stderr?: string }) => {
        if (err.code === 'ENOENT')
          throw new Error('promtool is not installed; run scripts/ensure-deps.sh prometheus');
        throw new Error(`promtool refused a template query: ${err.stderr ?? err.message}`);
      });
      expect(stdout).to.contain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
