import {
  DEFAULT_SLO_WINDOW,
  SLO_CONDITION_TYPE,
  formatPromDuration,
  parseSloWindow,
  sloWindows,
  type AlertSeverity,
  type FiringAlert,
  type ServiceLevelObjective,
  type SliSpec,
} from '../domain/slo/index.js';

// What GET /api/v1/namespaces/:ns/slos[/:name] answers: the spec, and the status with every
// window present (null = no data or not evaluated yet), so a client never guesses.

export interface SloView {
  namespace: string;
  name: string;
  service: string;
  objective: number;
  window: string;
  sli: SliSpec;
  description?: string;
  status: {
    evaluatedAt: string | null;
    /** Share of the budget left (1 untouched, negative overspent); null: no data. */
    errorBudgetRemaining: number | null;
    errorBudgetConsumed: number | null;
    errorRatio: number | null;
    /** Every evaluated window, the SLO window first; null = no data. */
    burnRates: Record<string, number | null>;
    alertSeverity: AlertSeverity | 'none' | null;
    firingAlerts: FiringAlert[];
    /** The Evaluated condition: whether the last evaluation worked, and why not. */
    condition: { status: string; reason: string; message: string } | null;
  };
}

export function summarizeSlo(slo: ServiceLevelObjective): SloView {
  const window = windowText(slo.spec.window);
  const s = slo.status ?? {};
  const burnRates: Record<string, number | null> = {};
  for (const w of sloWindows(window)) burnRates[w] = s.burnRates?.[w] ?? null;
  const c = s.conditions?.find((x) => x.type === SLO_CONDITION_TYPE);
  return {
    namespace: slo.metadata.namespace ?? 'default',
    name: slo.metadata.name,
    service: slo.spec.service,
    objective: slo.spec.objective,
    window,
    sli: slo.spec.sli,
    ...(slo.spec.description === undefined ? {} : { description: slo.spec.description }),
    status: {
      evaluatedAt: s.evaluatedAt ?? null,
      errorBudgetRemaining: s.errorBudgetRemaining ?? null,
      errorBudgetConsumed: s.errorBudgetConsumed ?? null,
      errorRatio: s.errorRatio ?? null,
      burnRates,
      alertSeverity: s.alertSeverity ?? null,
      firingAlerts: s.firingAlerts ?? [],
      condition: c ? { status: c.status, reason: c.reason, message: c.message } : null,
    },
  };
}

/** The window as the evaluator names it ("4w" -> "28d"); the text itself when it does not parse. */
function windowText(window: string | undefined): string {
  const text = window ?? DEFAULT_SLO_WINDOW;
  try {
    return formatPromDuration(parseSloWindow(text));
  } catch {
    return text;
  }
}
