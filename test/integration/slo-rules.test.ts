import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import {
  ALERT_NAME,
  renderSloRuleFile,
  sloRuleGroups,
  type AlertingRule,
} from '../../src/adapters/prometheus/rules.js';
import { exampleSlo, findTool, runTool } from './slo-support.js';

// The generated rules checked by promtool itself: `check rules` accepts the file, and
// `test rules` replays synthetic request counters through them and checks which burn-rate
// alerts fire. Objective 99.9%: the allowed error ratio is 0.001, so the thresholds are
// 1.44% errors (1h/5m page), 0.6% (6h/30m page) and 0.1% (3d/6h ticket).

const slo = exampleSlo(99.9);
const alertRules = sloRuleGroups(slo)
  .flatMap((g) => g.rules)
  .filter((r): r is AlertingRule => 'alert' in r);

function expectedAlert(longWindow: string) {
  const rule = alertRules.find((r) => r.labels['long_window'] === longWindow);
  if (!rule) throw new Error(`no alert rule for ${longWindow}`);
  return { exp_labels: rule.labels, exp_annotations: rule.annotations };
}

/** Counters rising by `ok` and `bad` per minute for `minutes`, then by the `then` pair. */
function series(ok: number, bad: number, minutes: number, then?: [number, number, number]) {
  const part = (step: number, count: number) => `+${step}x${count}`;
  const values = (a: number, b?: [number, number]) =>
    then && b ? `0${part(a, minutes)} ${a * minutes}${part(b[0], b[1])}` : `0${part(a, minutes)}`;
  return [
    {
      series: 'http_requests_total{job="shop",code="200"}',
      values: then ? values(ok, [then[0], then[2]]) : values(ok),
    },
    {
      series: 'http_requests_total{job="shop",code="500"}',
      values: then ? values(bad, [then[1], then[2]]) : values(bad),
    },
  ];
}

describe('generated SLO rules under promtool', function () {
  this.timeout(60_000);
  let dir = '';
  let promtool = '';

  before(async () => {
    promtool = await findTool('promtool');
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-slo-rules-'));
    await writeFile(path.join(dir, 'rules.yaml'), renderSloRuleFile([slo]));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes promtool check rules', async () => {
    const run = await runTool(promtool, ['check', 'rules', path.join(dir, 'rules.yaml')]);
    expect(run.output).to.contain('SUCCESS');
    expect(run.code, run.output).to.equal(0);
  });

  it('fires the right burn-rate alerts for fast, slow, recovered and healthy traffic', async () => {
    const tests = [
      {
        // 2% errors for two hours: every pair is above its threshold.
        interval: '1m',
        input_series: series(980, 20, 120),
        alert_rule_test: [
          {
            eval_time: '65m',
            alertname: ALERT_NAME,
            exp_alerts: [expectedAlert('1h'), expectedAlert('6h'), expectedAlert('3d')],
          },
        ],
        promql_expr_test: [
          {
            expr: 'round(slo:sli_error:ratio_rate5m * 10000)',
            eval_time: '65m',
            exp_samples: [
              {
                labels: '{service="shop",slo="shop-availability",slo_namespace="shop"}',
                value: 200,
              },
            ],
          },
          {
            expr: 'slo:objective:ratio',
            eval_time: '10m',
            exp_samples: [
              {
                labels:
                  'slo:objective:ratio{service="shop",slo="shop-availability",slo_namespace="shop"}',
                value: 0.999,
              },
            ],
          },
        ],
      },
      {
        // 0.8% errors: too slow for the 1h/5m page, enough for 6h/30m and the ticket.
        interval: '1m',
        input_series: series(992, 8, 120),
        alert_rule_test: [
          {
            eval_time: '65m',
            alertname: ALERT_NAME,
            exp_alerts: [expectedAlert('6h'), expectedAlert('3d')],
          },
        ],
      },
      {
        // 5% errors for an hour, then none: ten minutes later the 5m window has recovered, so
        // the fast page stops although the 1h window still burns 4.2%.
        interval: '1m',
        input_series: series(950, 50, 60, [1000, 0, 60]),
        alert_rule_test: [
          {
            eval_time: '55m',
            alertname: ALERT_NAME,
            exp_alerts: [expectedAlert('1h'), expectedAlert('6h'), expectedAlert('3d')],
          },
          {
            eval_time: '70m',
            alertname: ALERT_NAME,
            exp_alerts: [expectedAlert('6h'), expectedAlert('3d')],
          },
        ],
      },
      {
        // 0.05% errors: within the objective, nothing fires.
        interval: '1m',
        input_series: series(1999, 1, 240),
        alert_rule_test: [
          { eval_time: '30m', alertname: ALERT_NAME, exp_alerts: [] },
          { eval_time: '4h', alertname: ALERT_NAME, exp_alerts: [] },
        ],
      },
    ];
    const testFile = path.join(dir, 'rules.test.yaml');
    await writeFile(
      testFile,
      stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }, { lineWidth: 0 }),
    );
    const run = await runTool(promtool, ['test', 'rules', testFile]);
    expect(run.code, run.output).to.equal(0);
    expect(run.output).to.contain('SUCCESS');
  });
});
