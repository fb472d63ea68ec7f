// Checks of a compare metric as written in a template (the AnalysisRun's resolved copy passes
// them too: both sides are explicit there).

import { neededQueries, WORKLOAD_PLACEHOLDER } from './compare.js';
import { InvalidSpecError } from './errors.js';
import type { CompareSpec } from './types.js';

/** Checks a compare spec as written in a template; throws InvalidSpecError naming the field. */
export function validateCompare(spec: CompareSpec, field: string): void {
  for (const side of ['canary', 'baseline'] as const) {
    for (const key of neededQueries(spec)) {
      if (spec[side]?.[key] === undefined && spec.queries?.[key] === undefined)
        throw new InvalidSpecError(
          `${field}.queries.${key}`,
          `metric ${spec.metric} needs a "${key}" query, in queries or in ${side}`,
        );
    }
  }
  // Written once without {{workload}}, a query is the same on both sides: the canary would be
  // compared with itself and always pass.
  for (const key of neededQueries(spec)) {
    const shared = spec.queries?.[key];
    if (shared === undefined || spec.canary?.[key] !== undefined) continue;
    if (spec.baseline?.[key] !== undefined) continue;
    if (!new RegExp(WORKLOAD_PLACEHOLDER.source).test(shared))
      throw new InvalidSpecError(
        `${field}.queries.${key}`,
        `has no {{workload}}, so canary and baseline would run the same query and the canary would be compared with itself; put {{workload}} where the workload's name goes, or give canary.${key} and baseline.${key}`,
      );
  }
  if (spec.alpha !== undefined && !(spec.alpha > 0 && spec.alpha < 0.5))
    throw new InvalidSpecError(`${field}.alpha`, `must be between 0 and 0.5, got ${spec.alpha}`);
  if (spec.margin !== undefined && !(spec.margin > 0))
    throw new InvalidSpecError(`${field}.margin`, `must be greater than 0, got ${spec.margin}`);
  if (spec.minSamples !== undefined && !(Number.isInteger(spec.minSamples) && spec.minSamples >= 1))
    throw new InvalidSpecError(`${field}.minSamples`, 'must be a whole number of 1 or more');
}
