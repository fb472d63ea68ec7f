import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseSlo } from '../../src/adapters/kubernetes/parse-slo.js';
import { renderSloRuleFile } from '../../src/adapters/prometheus/rules.js';
import type { ServiceLevelObjective } from '../../src/domain/slo/index.js';
import { ISTIO_LABELS } from '../../src/sandbox/proxy/metrics.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import { kubectl, writeKubeconfig } from '../support/kube.js';
import { findTool, runTool } from './slo-support.js';

// The shipped SLOs (examples/slo/): the service's stated objectives, on the metric names the
// sandbox proxy exports; every one parses, yields rules promtool accepts, and kubectl applies
// and lists them on the sandbox API server.

const DIR = join(import.meta.dirname, '..', '..', 'examples', 'slo');

describe('examples/slo', function () {
  this.timeout(60_000);
  let files: string[] = [];
  let slos: ServiceLevelObjective[] = [];
  let work = '';
  let server: ApiServer | undefined;

  before(async () => {
    files = (await readdir(DIR)).filter((f) => f.endsWith('.yaml')).sort();
    slos = await Promise.all(
      files.map(async (f) => parseSlo(parseYaml(await readFile(join(DIR, f), 'utf8')), f)),
    );
    work = await mkdtemp(join(tmpdir(), 'sluice-slo-examples-'));
  });
  after(async () => {
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('ships availability 99.99%, p99 latency under 1 s and error rate under 0.01%', () => {
    const byName = Object.fromEntries(slos.map((s) => [s.metadata.name, s.spec]));
    expect(Object.keys(byName).sort()).to.deep.equal([
      'shop-availability',
      'shop-error-rate',
      'shop-latency-p99',
    ]);
    expect(byName['shop-availability']).to.include({ objective: 99.99, window: '28d' });
    expect(byName['shop-error-rate']).to.include({ objective: 99.99 });
    expect(byName['shop-error-rate']?.sli.goodQuery).to.contain('response_code!~"5.."');
    // p99 < 1 s  <=>  at least 99% of requests in the histogram bucket le="1000" (ms).
    expect(byName['shop-latency-p99']).to.include({ objective: 99 });
    expect(byName['shop-latency-p99']?.sli.kind).to.equal('latency');
    expect(byName['shop-latency-p99']?.sli.goodQuery).to.contain(
      'istio_request_duration_milliseconds_bucket{',
    );
    expect(byName['shop-latency-p99']?.sli.goodQuery).to.contain('le="1000"');
  });

  it('uses only metric names and labels the sandbox proxy exports', () => {
    const names = new Set([
      'istio_requests_total',
      'istio_request_duration_milliseconds_bucket',
      'istio_request_duration_milliseconds_count',
    ]);
    const labels = new Set<string>([...ISTIO_LABELS, 'le']);
    for (const slo of slos)
      for (const q of [slo.spec.sli.goodQuery, slo.spec.sli.totalQuery]) {
        for (const [, metric, selector] of q.matchAll(/(\w+)\{([^}]*)\}/g)) {
          expect(names, `${slo.metadata.name}: ${metric}`).to.include(metric);
          for (const [, label] of (selector ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)/g))
            expect(labels, `${slo.metadata.name}: ${label}`).to.include(label);
        }
      }
  });

  it('generates rules that promtool check rules accepts', async () => {
    const promtool = await findTool('promtool');
    const file = join(work, 'rules.yaml');
    await writeFile(file, renderSloRuleFile(slos));
    const r = await runTool(promtool, ['check', 'rules', file]);
    expect(r.code, r.output).to.equal(0);
    expect(r.output).to.match(/SUCCESS: \d+ rules found/);
  });

  it('is applied and listed by kubectl on the sandbox API server', async () => {
    server = await startApiServer({ port: 0 });
    const kubeconfig = writeKubeconfig(server.url, work);
    const run = (args: string[]) => kubectl(args, { kubeconfig, workDir: work });
    expect((await run(['create', 'namespace', 'demo'])).code).to.equal(0);
    const apply = await run(['apply', '-f', DIR]);
    expect(apply.code, apply.stderr).to.equal(0);
    const get = await run(['get', 'slo', '-n', 'demo']);
    expect(get.code, get.stderr).to.equal(0);
    expect(get.stdout.split('\n')[0]).to.match(
      /^NAME\s+SERVICE\s+OBJECTIVE\s+BUDGET LEFT\s+BURN 1H\s+AGE/,
    );
    expect(get.stdout).to.match(/shop-latency-p99\s+shop\s+99\s/);
    // The CRD schema refuses an objective above 100, naming the field.
    const text = await readFile(join(DIR, 'availability.yaml'), 'utf8');
    const bad = await kubectl(['apply', '-f', '-'], {
      kubeconfig,
      workDir: work,
      input: text.replace('objective: 99.99', 'objective: 150'),
    });
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr).to.contain('spec.objective');
  });
});
