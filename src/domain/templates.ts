// Turning AnalysisTemplates plus a Rollout's arguments into the metrics of one AnalysisRun.
// `{{args.name}}` (spaces inside the braces allowed) is replaced in the query, the address and
// both conditions, in one pass: a value that itself contains `{{...}}` is not expanded again.
// Conditions are parsed after substitution so a bad one is reported before any run starts.

import { ExpressionError, InvalidSpecError } from './errors.js';
import { parseExpression } from './expression.js';
import { COMPARE_PLACEHOLDERS } from './compare.js';
import type {
  AnalysisArg,
  AnalysisTemplateSpec,
  CompareQueries,
  CompareSpec,
  MetricSpec,
} from './types.js';

export interface TemplateInput {
  /** `AnalysisTemplate` or `ClusterAnalysisTemplate`; used in messages. */
  kind: string;
  name: string;
  spec: AnalysisTemplateSpec;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const ARG_REF = /^args\.([A-Za-z_][A-Za-z0-9_.-]*)$/;

function label(t: TemplateInput): string {
  return `${t.kind} ${t.name}`;
}

/** The value of every argument a template declares: the Rollout's, else the default. */
function argumentValues(
  t: TemplateInput,
  supplied: ReadonlyMap<string, string>,
  field: string,
): Map<string, string> {
  const values = new Map<string, string>();
  for (const decl of t.spec.args ?? []) {
    if (values.has(decl.name))
      throw new InvalidSpecError(field, `${label(t)} declares argument "${decl.name}" twice`);
    const value = supplied.get(decl.name) ?? decl.value;
    if (value === undefined)
      throw new InvalidSpecError(
        field,
        `${label(t)} needs argument "${decl.name}", which has no default; set it in ${field}.args`,
      );
    values.set(decl.name, value);
  }
  return values;
}

function substitute(
  text: string,
  values: ReadonlyMap<string, string>,
  where: string,
  field: string,
  keep: readonly string[] = [],
): string {
  return text.replace(PLACEHOLDER, (whole, inner: string) => {
    if (keep.includes(inner)) return whole;
    const ref = ARG_REF.exec(inner);
    if (!ref)
      throw new InvalidSpecError(
        field,
        `${where} has placeholder ${whole}; only ${[...keep.map((k) => `{{${k}}}`), '{{args.<name>}}'].join(', ')} ${keep.length > 0 ? 'are' : 'is'} supported`,
      );
    const name = ref[1] as string;
    const value = values.get(name);
    if (value === undefined)
      throw new InvalidSpecError(
        field,
        `${where} uses {{args.${name}}}, but the template declares no argument "${name}"; add it to spec.args`,
      );
    return value;
  });
}

function checkCondition(text: string | undefined, where: string, field: string): void {
  if (text === undefined) return;
  try {
    parseExpression(text);
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    throw new InvalidSpecError(
      field,
      `${where} ${JSON.stringify(text)} is not valid: ${err.message}`,
      {
        cause: err,
        details: { position: err.position },
      },
    );
  }
}

function resolveMetricSpec(
  t: TemplateInput,
  m: MetricSpec,
  values: ReadonlyMap<string, string>,
  field: string,
): MetricSpec {
  const where = (part: string): string => `${label(t)} metric "${m.name}" ${part}`;
  const sub = (text: string | undefined, part: string): string | undefined =>
    text === undefined ? undefined : substitute(text, values, where(part), field);
  const successCondition = sub(m.successCondition, 'successCondition');
  const failureCondition = sub(m.failureCondition, 'failureCondition');
  checkCondition(successCondition, where('successCondition'), field);
  checkCondition(failureCondition, where('failureCondition'), field);
  const out: MetricSpec = {
    ...m,
    ...(successCondition === undefined ? {} : { successCondition }),
    ...(failureCondition === undefined ? {} : { failureCondition }),
  };
  const prom = m.provider?.prometheus;
  if (prom) {
    const address = sub(prom.address, 'address');
    out.provider = {
      ...m.provider,
      prometheus: {
        ...prom,
        query: substitute(prom.query, values, where('query'), field),
        ...(address === undefined ? {} : { address }),
      },
    };
  }
  if (m.compare) out.compare = substituteCompare(m.compare, values, where, field);
  if (m.burnRate?.slo !== undefined)
    out.burnRate = {
      ...m.burnRate,
      slo: substitute(m.burnRate.slo, values, where('burnRate.slo'), field),
    };
  if (m.burnRate?.sli) {
    const keep = ['window'];
    const sli = m.burnRate.sli;
    out.burnRate = {
      ...(out.burnRate ?? m.burnRate),
      sli: {
        goodQuery: substitute(sli.goodQuery, values, where('burnRate.sli.goodQuery'), field, keep),
        totalQuery: substitute(
          sli.totalQuery,
          values,
          where('burnRate.sli.totalQuery'),
          field,
          keep,
        ),
      },
    };
  }
  return out;
}

/** Arguments in a compare metric's queries; {{workload}} and {{interval}} wait for the run. */
function substituteCompare(
  spec: CompareSpec,
  values: ReadonlyMap<string, string>,
  where: (part: string) => string,
  field: string,
): CompareSpec {
  const sides = (q: CompareQueries | undefined, part: string): CompareQueries | undefined => {
    if (q === undefined) return undefined;
    const out: CompareQueries = {};
    for (const [key, text] of Object.entries(q) as Array<[keyof CompareQueries, string]>)
      out[key] = substitute(text, values, where(`compare.${part}.${key}`), field, [
        ...COMPARE_PLACEHOLDERS,
      ]);
    return out;
  };
  const queries = sides(spec.queries, 'queries');
  const canary = sides(spec.canary, 'canary');
  const baseline = sides(spec.baseline, 'baseline');
  return {
    ...spec,
    ...(queries ? { queries } : {}),
    ...(canary ? { canary } : {}),
    ...(baseline ? { baseline } : {}),
  };
}

/**
 * The metrics of the given templates with the arguments filled in. `field` is the spec path
 * of the reference (e.g. `spec.strategy.canary.steps[1].analysis`) and is named in every
 * InvalidSpecError: a missing argument, an undeclared placeholder, an argument no template
 * declares, a metric name used twice, a template without metrics, or a condition that does
 * not parse (with its position).
 */
export function resolveTemplates(
  templates: readonly TemplateInput[],
  args: readonly AnalysisArg[] | undefined,
  field: string,
): MetricSpec[] {
  if (templates.length === 0) throw new InvalidSpecError(field, 'names no template');
  const supplied = new Map<string, string>();
  for (const a of args ?? []) {
    if (supplied.has(a.name))
      throw new InvalidSpecError(field, `argument "${a.name}" is given twice in ${field}.args`);
    supplied.set(a.name, a.value);
  }
  const declared = new Set(templates.flatMap((t) => (t.spec.args ?? []).map((a) => a.name)));
  for (const name of supplied.keys())
    if (!declared.has(name))
      throw new InvalidSpecError(
        field,
        `argument "${name}" is not declared by ${templates.map(label).join(', ')}`,
      );

  const owner = new Map<string, TemplateInput>();
  const metrics: MetricSpec[] = [];
  for (const t of templates) {
    if (t.spec.metrics.length === 0)
      throw new InvalidSpecError(field, `${label(t)} has no metrics`);
    const values = argumentValues(t, supplied, field);
    for (const m of t.spec.metrics) {
      const first = owner.get(m.name);
      if (first !== undefined)
        throw new InvalidSpecError(
          field,
          `metric "${m.name}" is defined by both ${label(first)} and ${label(t)}; metric names must be unique in a run`,
        );
      owner.set(m.name, t);
      metrics.push(resolveMetricSpec(t, m, values, field));
    }
  }
  return metrics;
}
