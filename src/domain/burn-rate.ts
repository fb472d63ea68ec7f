// The burn-rate metric kind: a step or background analysis that fails when an SLO's error
// budget burns fast over BOTH windows of any window pair (the long window makes it significant,
// the short one says it is still happening). Pure: the controller runs the queries.
//
// Each window w gets two queries, the SLI's good and total rates over [w]; the error ratio is
// (total - good) / total and the burn rate that ratio over the allowed one, 1 - objective/100.
//
// Worked example (a test in test/unit/domain/burn-rate.test.ts): objective 99.9 (allowed
// 0.001), pair 5m/1m at factor 14.4. 5m: 1000 total, 980 good: ratio 0.02, burn 20. 1m: 200
// total, 197 good: ratio 0.015, burn 15. Both > 14.4: Failed. With 1m at 199 good (burn 5)
// only the long window burns: Successful.

import { InvalidSpecError } from './errors.js';
import { allowedErrorRatio, errorRatio } from './slo/budget.js';
import type { ServiceLevelObjectiveSpec } from './slo/types.js';
import { renderWindow, WINDOW_PLACEHOLDER } from './slo/validate.js';
import { formatPromDuration, parseSloWindow } from './slo/window.js';
import type { BurnRateSpec, BurnRateWindow, MeasurementPhase, NoDataPolicy } from './types.js';
import { noDataPhase } from './measurement.js';

/**
 * The pairs a canary step checks when the metric names none. The SRE workbook's two paging
 * pairs (1h/5m at 14.4, 6h/30m at 6) catch a service already burning when the step runs; a
 * canary-sized pair (5m/1m at 14.4) reacts within minutes to what the canary itself causes.
 * The workbook's ticket pair (3d/6h at 1) is left out: a slow burn over days is not something a
 * step caused, and it is the budget policy's business (spec.budgetPolicy), not a rollback's.
 */
export const DEFAULT_BURN_RATE_WINDOWS: readonly BurnRateWindow[] = [
  { long: '5m', short: '1m', factor: 14.4 },
  { long: '1h', short: '5m', factor: 14.4 },
  { long: '6h', short: '30m', factor: 6 },
];

/** The run's copy of a burn-rate metric: the SLO's queries and objective copied in. */
export function resolveBurnRate(
  spec: BurnRateSpec,
  slo: { spec: ServiceLevelObjectiveSpec } | undefined,
): BurnRateSpec {
  if (spec.slo === undefined || slo === undefined) return spec;
  return {
    ...spec,
    sli: { goodQuery: slo.spec.sli.goodQuery, totalQuery: slo.spec.sli.totalQuery },
    objective: slo.spec.objective,
  };
}

/** Checks a burn-rate spec as written in a template; throws InvalidSpecError naming the field. */
export function validateBurnRate(spec: BurnRateSpec, field: string): void {
  // NOTE: slo together with sli and objective is what a run holds (the SLO's copy); in a
  // template the SLO's own values replace an inline copy when the run starts.
  if (spec.slo === undefined) {
    if (spec.sli === undefined || spec.objective === undefined)
      throw new InvalidSpecError(
        field,
        'needs slo (a ServiceLevelObjective) or an inline sli with objective',
      );
  }
  if (spec.objective !== undefined && !(spec.objective > 0 && spec.objective < 100))
    throw new InvalidSpecError(
      `${field}.objective`,
      `must be a percentage strictly between 0 and 100, got ${spec.objective}`,
    );
  for (const key of ['goodQuery', 'totalQuery'] as const) {
    const q = spec.sli?.[key];
    if (q !== undefined && !q.includes(WINDOW_PLACEHOLDER))
      throw new InvalidSpecError(
        `${field}.sli.${key}`,
        `must contain ${WINDOW_PLACEHOLDER} where the range goes, e.g. rate(x[${WINDOW_PLACEHOLDER}])`,
      );
  }
  (spec.windows ?? []).forEach((w, i) => {
    const f = `${field}.windows[${i}]`;
    const long = parseSloWindow(w.long, `${f}.long`);
    const short = parseSloWindow(w.short, `${f}.short`);
    if (short >= long) throw new InvalidSpecError(`${f}.short`, 'must be shorter than long');
    if (!(w.factor > 0)) throw new InvalidSpecError(`${f}.factor`, 'must be greater than 0');
  });
  if (spec.windows !== undefined && spec.windows.length === 0)
    throw new InvalidSpecError(`${field}.windows`, 'must list at least one pair, or be left out');
}

export function windowsOf(spec: BurnRateSpec): readonly BurnRateWindow[] {
  return spec.windows ?? DEFAULT_BURN_RATE_WINDOWS;
}

/** Each distinct window once, in Prometheus range text ("1m", "1h"), in order of first use. */
export function burnWindows(spec: BurnRateSpec): string[] {
  const out: string[] = [];
  for (const w of windowsOf(spec))
    for (const text of [w.long, w.short]) {
      const norm = formatPromDuration(parseSloWindow(text));
      if (!out.includes(norm)) out.push(norm);
    }
  return out;
}

export interface WindowQueries {
  window: string;
  good: string;
  total: string;
}

/** The good and total queries for every window; undefined when the SLO was not resolved. */
export function burnRateQueries(spec: BurnRateSpec): WindowQueries[] | undefined {
  const sli = spec.sli;
  if (sli === undefined || spec.objective === undefined) return undefined;
  return burnWindows(spec).map((window) => ({
    window,
    good: renderWindow(sli.goodQuery, window),
    total: renderWindow(sli.totalQuery, window),
  }));
}

export interface BurnRateJudgement {
  phase: MeasurementPhase;
  /** Burn rates as [long, short] per pair, in the order of the pairs; absent with no data. */
  value?: number[];
  noData?: boolean;
  message: string;
}

function round(n: number): number {
  return Number(n.toPrecision(4));
}

/**
 * Judges one measurement: Failed when, for any pair, both windows burn faster than its factor
 * (strictly above, as the alert rules compare). A window without events is no data: the
 * metric's noData policy decides, unless another pair already fails.
 */
export function judgeBurnRate(
  spec: BurnRateSpec,
  counts: ReadonlyMap<string, { good: number; total: number }>,
  noData: NoDataPolicy,
): BurnRateJudgement {
  const allowed = allowedErrorRatio(spec.objective ?? 0);
  const rateOf = (text: string): number | undefined => {
    const c = counts.get(formatPromDuration(parseSloWindow(text)));
    const ratio = c === undefined ? undefined : errorRatio(c);
    return ratio === undefined ? undefined : ratio / allowed;
  };
  const parts: string[] = [];
  const values: number[] = [];
  let missing: string | undefined;
  let firing: string | undefined;
  for (const w of windowsOf(spec)) {
    const long = rateOf(w.long);
    const short = rateOf(w.short);
    if (long === undefined || short === undefined) {
      missing ??= `no events in the ${long === undefined ? w.long : w.short} window`;
      continue;
    }
    values.push(round(long), round(short));
    const text = `${w.long}/${w.short} burn ${round(long)}/${round(short)}`;
    parts.push(`${text} vs ${w.factor}`);
    if (long > w.factor && short > w.factor) firing ??= `${text}: both above ${w.factor}x`;
  }
  if (firing !== undefined) return { phase: 'Failed', value: values, message: firing };
  if (missing !== undefined)
    return { phase: noDataPhase(noData), noData: true, message: `no data: ${missing}` };
  return {
    phase: 'Successful',
    value: values,
    message: `no pair burns on both windows: ${parts.join('; ')}`,
  };
}
