import { SluiceError } from '../errors.js';

// Multi-window, multi-burn-rate alerting in the style of the Google SRE workbook (chapter
// "Alerting on SLOs"). An alert fires when the burn rate is above its threshold over a long
// window (so it is significant) AND over a short window (so it is still happening, and the
// alert resets soon after the problem ends). The defaults are the workbook's: with a 30-day
// budget, 14.4x for 1h spends 2%, 6x for 6h spends 5% (both page), 1x for 3d spends 10%
// (ticket). With Sluice's default 28-day window the same factors spend 2.1%, 5.4% and 10.7%.

export const ALERT_SEVERITIES = ['page', 'ticket'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export interface BurnRateAlertRule {
  severity: AlertSeverity;
  /** Prometheus range text, e.g. "1h". */
  longWindow: string;
  shortWindow: string;
  /** Fires when both windows burn faster than this. */
  burnRate: number;
}

export const DEFAULT_BURN_RATE_ALERTS: readonly BurnRateAlertRule[] = [
  { severity: 'page', longWindow: '1h', shortWindow: '5m', burnRate: 14.4 },
  { severity: 'page', longWindow: '6h', shortWindow: '30m', burnRate: 6 },
  { severity: 'ticket', longWindow: '3d', shortWindow: '6h', burnRate: 1 },
];

/** Share of the whole budget spent when `rule` has just fired at its threshold. */
export function budgetSpentAtThreshold(
  rule: BurnRateAlertRule,
  longWindowMs: number,
  sloWindowMs: number,
): number {
  return (rule.burnRate * longWindowMs) / sloWindowMs;
}

export interface AlertEvaluation {
  rule: BurnRateAlertRule;
  longBurnRate: number | undefined;
  shortBurnRate: number | undefined;
  firing: boolean;
  /** A window had no events: the rule cannot fire, and the caller may want to say so. */
  noData: boolean;
}

export interface AlertSummary {
  evaluations: AlertEvaluation[];
  /** The most severe firing alert, or 'none'. */
  severity: AlertSeverity | 'none';
}

/** burnRates maps a window's range text ("5m", "1h"...) to its burn rate; absent = no data. */
export function evaluateBurnRateAlerts(
  burnRates: Readonly<Record<string, number | undefined>>,
  rules: readonly BurnRateAlertRule[] = DEFAULT_BURN_RATE_ALERTS,
): AlertSummary {
  const evaluations = rules.map((rule): AlertEvaluation => {
    const longBurnRate = finite(burnRates[rule.longWindow]);
    const shortBurnRate = finite(burnRates[rule.shortWindow]);
    const noData = longBurnRate === undefined || shortBurnRate === undefined;
    // NOTE: strictly above, as the generated Prometheus rules compare with ">".
    const firing = !noData && longBurnRate > rule.burnRate && shortBurnRate > rule.burnRate;
    return { rule, longBurnRate, shortBurnRate, firing, noData };
  });
  return { evaluations, severity: mostSevere(evaluations) };
}

function mostSevere(evaluations: AlertEvaluation[]): AlertSeverity | 'none' {
  let worst: AlertSeverity | 'none' = 'none';
  for (const e of evaluations) {
    if (!e.firing) continue;
    const severity = e.rule.severity;
    switch (severity) {
      case 'page':
        return 'page';
      case 'ticket':
        worst = 'ticket';
        break;
      default: {
        const never: never = severity;
        throw new SluiceError('Internal', `unknown alert severity ${String(never)}`);
      }
    }
  }
  return worst;
}

function finite(v: number | undefined): number | undefined {
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}
