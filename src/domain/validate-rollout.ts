import { metricKindProblems, type MetricKindOptions } from './analysis-kinds.js';
import { parseDuration } from './duration.js';
import {
  STEP_KINDS,
  type AnalysisArg,
  type AnalysisRef,
  type AnalysisTemplateSpec,
  type BlueGreenStrategy,
  type CanaryStep,
  type CanaryStrategy,
  type HeaderMatch,
  type MetricSpec,
  type RolloutSpec,
  type StepKind,
} from './types.js';

// Semantic rules a Rollout or AnalysisTemplate must meet beyond what its CRD schema can say.
// Pure: the spec in, every problem out (never just the first), so a user fixes them in one go.

export interface SpecProblem {
  /** Path of the offending field, e.g. "spec.strategy.canary.steps[2].setWeight". */
  field: string;
  message: string;
}

/** Longest delay accepted for blue-green timers: anything longer is almost surely a unit mistake. */
export const MAX_DELAY_SECONDS = 7 * 24 * 3600;

const DURATION_HINT = 'use e.g. "30s", "5m" or "1h30m"';

type Problems = SpecProblem[];

function checkDuration(out: Problems, field: string, value: unknown, positive = false): void {
  if (value === undefined) return;
  if (typeof value !== 'string') {
    out.push({ field, message: `must be a duration string; ${DURATION_HINT}` });
    return;
  }
  try {
    const ms = parseDuration(value, field);
    if (positive && ms <= 0)
      out.push({ field, message: `must be longer than 0; ${DURATION_HINT}` });
  } catch {
    out.push({ field, message: `"${value}" is not a duration; ${DURATION_HINT}` });
  }
}

function checkUniqueNames(out: Problems, field: string, items: ReadonlyArray<{ name: string }>) {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.name);
    if (first === undefined) seen.set(item.name, i);
    else
      out.push({
        field: `${field}[${i}].name`,
        message: `"${item.name}" is already used by ${field}[${first}]; names must be unique`,
      });
  });
}

function checkAnalysisRef(out: Problems, field: string, ref: AnalysisRef): void {
  if (ref.templates.length === 0)
    out.push({ field: `${field}.templates`, message: 'must name at least one template' });
  checkUniqueNames(out, `${field}.args`, ref.args ?? ([] as AnalysisArg[]));
}

function checkHeaderMatch(out: Problems, field: string, m: HeaderMatch): void {
  const keys = [m.header, m.cookie].filter((v) => v !== undefined).length;
  if (keys !== 1)
    out.push({ field, message: 'must give exactly one of header or cookie (the name to match)' });
  if (m.header !== undefined && m.header !== m.header.toLowerCase())
    out.push({
      field: `${field}.header`,
      message: `must be lower case, e.g. "${m.header.toLowerCase()}"`,
    });
  const values = [m.exact, m.prefix, m.regex].filter((v) => v !== undefined).length;
  if (values !== 1)
    out.push({ field, message: 'must give exactly one of exact, prefix or regex (how to match)' });
  if (m.regex !== undefined) {
    try {
      new RegExp(m.regex);
    } catch {
      out.push({
        field: `${field}.regex`,
        message: `"${m.regex}" is not a valid regular expression`,
      });
    }
  }
}

function checkGateUrl(out: Problems, field: string, url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    out.push({ field, message: `"${url}" is not a URL; give an absolute http(s) URL` });
    return;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    out.push({ field, message: `must use http or https, not ${parsed.protocol.replace(':', '')}` });
}

function stepKindsOf(step: CanaryStep): { kinds: StepKind[]; unknown: string[] } {
  const keys = Object.keys(step);
  const known: readonly string[] = STEP_KINDS;
  return {
    kinds: keys.filter((k): k is StepKind => known.includes(k)),
    unknown: keys.filter((k) => !known.includes(k)),
  };
}

function checkStep(
  out: Problems,
  field: string,
  step: CanaryStep,
  kind: StepKind,
  flags: ReadonlySet<string>,
): void {
  switch (kind) {
    case 'setWeight':
      return;
    case 'pause':
      if ('pause' in step) checkDuration(out, `${field}.pause.duration`, step.pause.duration);
      return;
    case 'analysis':
      if ('analysis' in step) checkAnalysisRef(out, `${field}.analysis`, step.analysis);
      return;
    case 'setFlag': {
      if (!('setFlag' in step)) return;
      // The flag must be declared so its project, environment and pre-rollout state are known
      // (an abort restores it).
      if (!flags.has(step.setFlag.flag))
        out.push({
          field: `${field}.setFlag.flag`,
          message: `"${step.setFlag.flag}" is not listed in spec.featureFlags; add it there`,
        });
      return;
    }
    case 'setHeaderRoute':
      if (!('setHeaderRoute' in step)) return;
      if (step.setHeaderRoute.match.length === 0)
        out.push({
          field: `${field}.setHeaderRoute.match`,
          message: 'must list at least one match',
        });
      step.setHeaderRoute.match.forEach((m, i) =>
        checkHeaderMatch(out, `${field}.setHeaderRoute.match[${i}]`, m),
      );
      return;
    case 'gate': {
      if (!('gate' in step)) return;
      const g = step.gate;
      checkGateUrl(out, `${field}.gate.url`, g.url);
      checkDuration(out, `${field}.gate.timeout`, g.timeout, true);
      checkDuration(out, `${field}.gate.interval`, g.interval, true);
      checkDuration(out, `${field}.gate.deadline`, g.deadline, true);
      return;
    }
    default: {
      const never: never = kind;
      throw new Error(`unhandled step kind ${String(never)}`);
    }
  }
}

function checkCanary(out: Problems, canary: CanaryStrategy, flags: ReadonlySet<string>) {
  const base = 'spec.strategy.canary';
  if (canary.steps.length === 0)
    out.push({ field: `${base}.steps`, message: 'must list at least one step' });
  let lastWeight: { weight: number; index: number } | undefined;
  canary.steps.forEach((step, i) => {
    const field = `${base}.steps[${i}]`;
    const { kinds, unknown } = stepKindsOf(step);
    if (unknown.length > 0)
      out.push({
        field,
        message: `unknown step kind ${unknown.join(', ')}; use one of ${STEP_KINDS.join(', ')}`,
      });
    if (kinds.length !== 1) {
      const found = kinds.length === 0 ? 'none' : kinds.join(' and ');
      out.push({
        field,
        message: `must have exactly one of ${STEP_KINDS.join(', ')}; found ${found}. Split it into one step per kind`,
      });
    }
    for (const kind of kinds) checkStep(out, field, step, kind, flags);
    if ('setWeight' in step && typeof step.setWeight === 'number') {
      if (lastWeight !== undefined && step.setWeight < lastWeight.weight)
        out.push({
          field: `${field}.setWeight`,
          message: `${step.setWeight} is lower than ${lastWeight.weight} set at step ${lastWeight.index}; weights may only grow (abort to send traffic back)`,
        });
      lastWeight = { weight: step.setWeight, index: i };
    }
  });
  if (canary.analysis) {
    checkAnalysisRef(out, `${base}.analysis`, canary.analysis);
    const start = canary.analysis.startingStep ?? 0;
    if (canary.steps.length > 0 && start >= canary.steps.length)
      out.push({
        field: `${base}.analysis.startingStep`,
        message: `${start} is past the last step (${canary.steps.length - 1})`,
      });
  }
}

function checkDelaySeconds(out: Problems, field: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 0)
    out.push({ field, message: `must be a whole number of seconds >= 0; got ${value}` });
  else if (value > MAX_DELAY_SECONDS)
    out.push({ field, message: `${value}s is more than 7 days; give the delay in seconds` });
}

function checkBlueGreen(out: Problems, bg: BlueGreenStrategy): void {
  const base = 'spec.strategy.blueGreen';
  if (bg.prePromotionAnalysis)
    checkAnalysisRef(out, `${base}.prePromotionAnalysis`, bg.prePromotionAnalysis);
  if (bg.postPromotionAnalysis)
    checkAnalysisRef(out, `${base}.postPromotionAnalysis`, bg.postPromotionAnalysis);
  checkDelaySeconds(out, `${base}.autoPromotionSeconds`, bg.autoPromotionSeconds);
  checkDelaySeconds(out, `${base}.scaleDownDelaySeconds`, bg.scaleDownDelaySeconds);
  const replicas = bg.previewReplicaCount;
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0))
    out.push({ field: `${base}.previewReplicaCount`, message: `must be an integer >= 0` });
  if (bg.previewHeader) checkHeaderMatch(out, `${base}.previewHeader`, bg.previewHeader);
}

function checkRoutes(out: Problems, routes: readonly string[]): void {
  const field = 'spec.trafficRouting.istio.virtualService.routes';
  if (routes.length === 0)
    out.push({ field, message: 'must name at least one HTTP route of the VirtualService' });
  const seen = new Set<string>();
  routes.forEach((r, i) => {
    if (r === '') out.push({ field: `${field}[${i}]`, message: 'must not be empty' });
    else if (seen.has(r))
      out.push({
        field: `${field}[${i}]`,
        message: `"${r}" is listed twice; list each route once`,
      });
    seen.add(r);
  });
}

/** Every semantic problem of a Rollout spec; empty when the spec can be acted on. */
export function validateRolloutSpec(spec: RolloutSpec): SpecProblem[] {
  const out: Problems = [];
  const flags = new Set((spec.featureFlags ?? []).map((f) => f.name));
  checkUniqueNames(out, 'spec.featureFlags', spec.featureFlags ?? []);
  checkRoutes(out, spec.trafficRouting.istio.virtualService.routes);

  const { canary, blueGreen } = spec.strategy;
  if ((canary === undefined) === (blueGreen === undefined))
    out.push({
      field: 'spec.strategy',
      message: `must set exactly one of canary or blueGreen; ${canary ? 'both are' : 'neither is'} set`,
    });
  if (canary) checkCanary(out, canary, flags);
  if (blueGreen) checkBlueGreen(out, blueGreen);

  if (spec.analysis) {
    checkDuration(out, 'spec.analysis.interval', spec.analysis.interval, true);
    checkDuration(out, 'spec.analysis.timeout', spec.analysis.timeout, true);
  }
  const budget = spec.budgetPolicy;
  if (budget && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(budget.slo))
    out.push({
      field: 'spec.budgetPolicy.slo',
      message: `"${budget.slo}" is not a valid object name (lower-case letters, digits, '-' and '.')`,
    });
  if (budget?.freezeBelow !== undefined && !(budget.freezeBelow <= 1))
    out.push({
      field: 'spec.budgetPolicy.freezeBelow',
      message: `must be at most 1 (the whole budget), got ${budget.freezeBelow}`,
    });
  const deadline = spec.progressDeadlineSeconds;
  if (deadline !== undefined && (!Number.isInteger(deadline) || deadline <= 0))
    out.push({
      field: 'spec.progressDeadlineSeconds',
      message: 'must be a whole number of seconds > 0',
    });
  return out;
}

/** Problems of a list of metrics: unique names, durations, at least one condition each. */
export function validateMetricSpecs(
  field: string,
  metrics: readonly MetricSpec[],
  options: MetricKindOptions = {},
): SpecProblem[] {
  const out: Problems = [];
  if (metrics.length === 0) out.push({ field, message: 'must list at least one metric' });
  checkUniqueNames(out, field, metrics);
  metrics.forEach((m, i) => {
    const f = `${field}[${i}]`;
    checkDuration(out, `${f}.interval`, m.interval, true);
    checkDuration(out, `${f}.initialDelay`, m.initialDelay);
    checkDuration(out, `${f}.timeout`, m.timeout, true);
    out.push(...metricKindProblems(f, m, options));
  });
  return out;
}

const PLACEHOLDER = /\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}/g;

/** Problems of an AnalysisTemplate spec, including {{args.x}} placeholders (in the address,
 * query or conditions) that no argument declares. */
export function validateAnalysisTemplateSpec(spec: AnalysisTemplateSpec): SpecProblem[] {
  const out = validateMetricSpecs('spec.metrics', spec.metrics);
  const args = spec.args ?? [];
  checkUniqueNames(out, 'spec.args', args);
  const declared = new Set(args.map((a) => a.name));
  spec.metrics.forEach((m, i) => {
    const texts: Array<[string, string | undefined]> = [
      ['provider.prometheus.address', m.provider?.prometheus.address],
      ['provider.prometheus.query', m.provider?.prometheus.query],
      ['successCondition', m.successCondition],
      ['failureCondition', m.failureCondition],
    ];
    for (const [key, text] of texts) {
      for (const match of (text ?? '').matchAll(PLACEHOLDER)) {
        const name = match[1] ?? '';
        if (!declared.has(name))
          out.push({
            field: `spec.metrics[${i}].${key}`,
            message: `uses {{args.${name}}} but spec.args does not declare "${name}"; add it`,
          });
      }
    }
  });
  return out;
}
