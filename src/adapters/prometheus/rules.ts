import { stringify } from 'yaml';
import {
  allowedErrorRatio,
  BURN_WINDOWS,
  DEFAULT_BURN_RATE_ALERTS,
  DEFAULT_SLO_WINDOW,
  formatPromDuration,
  parseSloWindow,
  renderWindow,
  validateSlo,
  type BurnRateAlertRule,
  type ServiceLevelObjective,
} from '../../domain/slo/index.js';

// Prometheus recording and alerting rules for SLOs (`sluice slo rules`). Per SLO:
//   slo:sli_error:ratio_rate<w>   the error ratio over each burn window w (5m ... 3d)
//   slo:objective:ratio, slo:error_budget:ratio   constants, for dashboards
//   slo:sli_error:ratio_rate<window>, slo:error_budget_remaining:ratio   over the SLO window,
//     in a group of their own evaluated less often (a 28-day range is not cheap)
//   SluiceErrorBudgetBurn   one alert per (long, short) window pair, labelled with severity.
// Every series carries `slo`, `slo_namespace` and `service` labels, so one rule file can hold
// many SLOs and alerts route on them.

export const ALERT_NAME = 'SluiceErrorBudgetBurn';

export interface SloRuleOptions {
  alerts?: readonly BurnRateAlertRule[];
  /** Evaluation interval of the SLO-window group. Default "5m". */
  windowInterval?: string;
}

export interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Array<RecordingRule | AlertingRule>;
}

/** The rule groups for one SLO. Throws InvalidSpecError for an SLO that fails validateSlo. */
export function sloRuleGroups(
  slo: ServiceLevelObjective,
  options: SloRuleOptions = {},
): RuleGroup[] {
  validateSlo(slo.spec, `${sloId(slo)}.spec`);
  const alerts = options.alerts ?? DEFAULT_BURN_RATE_ALERTS;
  const labels = sloLabels(slo);
  const selector = labelSelector(labels);
  const allowed = allowedErrorRatio(slo.spec.objective);
  const window = formatPromDuration(parseSloWindow(slo.spec.window ?? DEFAULT_SLO_WINDOW));
  const burnWindows = uniqueSorted([
    ...BURN_WINDOWS,
    ...alerts.flatMap((a) => [a.longWindow, a.shortWindow]),
  ]).filter((w) => w !== window);

  const recordings: RecordingRule[] = burnWindows.map((w) => errorRatioRule(slo, w, labels));
  recordings.push(
    {
      record: 'slo:objective:ratio',
      expr: `vector(${Number((slo.spec.objective / 100).toPrecision(12))})`,
      labels,
    },
    { record: 'slo:error_budget:ratio', expr: `vector(${allowed})`, labels },
  );
  const alerting = alerts.map((a) => burnAlert(slo, a, allowed, selector, labels, window));
  const base = `sluice-slo-${slo.metadata.namespace ?? 'default'}-${slo.metadata.name}`;
  return [
    { name: base, rules: [...recordings, ...alerting] },
    {
      name: `${base}-window`,
      interval: options.windowInterval ?? '5m',
      rules: [
        errorRatioRule(slo, window, labels),
        {
          record: 'slo:error_budget_remaining:ratio',
          expr: `1 - slo:sli_error:ratio_rate${window}${selector} / ${allowed}`,
          labels,
        },
      ],
    },
  ];
}

/** A complete rule file (YAML) for `promtool check rules` and Prometheus's rule_files. */
export function renderSloRuleFile(
  slos: readonly ServiceLevelObjective[],
  options: SloRuleOptions = {},
): string {
  const groups = slos.flatMap((slo) => sloRuleGroups(slo, options));
  // No YAML anchors: a reader (and some tools) expect every rule's labels spelled out.
  return stringify({ groups }, { lineWidth: 0, aliasDuplicateObjects: false });
}

function errorRatioRule(
  slo: ServiceLevelObjective,
  window: string,
  labels: Record<string, string>,
): RecordingRule {
  const good = renderWindow(slo.spec.sli.goodQuery, window);
  const total = renderWindow(slo.spec.sli.totalQuery, window);
  // (total - good) / total rather than 1 - good/total: fewer rounding steps; NaN without traffic,
  // which no alert threshold matches.
  return {
    record: `slo:sli_error:ratio_rate${window}`,
    expr: `((${total}) - (${good})) / (${total})`,
    labels,
  };
}

function burnAlert(
  slo: ServiceLevelObjective,
  rule: BurnRateAlertRule,
  allowed: number,
  selector: string,
  labels: Record<string, string>,
  window: string,
): AlertingRule {
  const threshold = `(${rule.burnRate} * ${allowed})`;
  const spent = (rule.burnRate * parseSloWindow(rule.longWindow)) / parseSloWindow(window);
  return {
    alert: ALERT_NAME,
    expr:
      `slo:sli_error:ratio_rate${rule.longWindow}${selector} > ${threshold}` +
      ` and slo:sli_error:ratio_rate${rule.shortWindow}${selector} > ${threshold}`,
    labels: {
      ...labels,
      severity: rule.severity,
      long_window: rule.longWindow,
      short_window: rule.shortWindow,
      burn_rate: String(rule.burnRate),
    },
    annotations: {
      summary: `${slo.spec.service}: error budget of SLO ${sloId(slo)} burning ${rule.burnRate}x too fast`,
      description:
        `Errors over the last ${rule.longWindow} and ${rule.shortWindow} exceed ${rule.burnRate} times ` +
        `the ${slo.spec.objective}% objective allows; sustained for ${rule.longWindow} this spends ` +
        `${(Math.round(spent * 1000) / 10).toString()}% of the ${window} budget.` +
        (slo.spec.description ? ` ${slo.spec.description}` : ''),
    },
  };
}

function sloLabels(slo: ServiceLevelObjective): Record<string, string> {
  return {
    slo: slo.metadata.name,
    slo_namespace: slo.metadata.namespace ?? 'default',
    service: slo.spec.service,
  };
}

function sloId(slo: ServiceLevelObjective): string {
  return `${slo.metadata.namespace ?? 'default'}/${slo.metadata.name}`;
}

/** {a="x",b="y"}; JSON string escaping is valid PromQL string escaping for these values. */
function labelSelector(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `{${parts.join(',')}}`;
}

function uniqueSorted(windows: string[]): string[] {
  return [...new Set(windows)].sort((a, b) => parseSloWindow(a) - parseSloWindow(b));
}
