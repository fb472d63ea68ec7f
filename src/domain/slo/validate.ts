import { InvalidSpecError } from '../errors.js';
import type { ServiceLevelObjectiveSpec } from './types.js';
import { DEFAULT_SLO_WINDOW } from './types.js';
import { SLO_WINDOW_PATTERN, parseSloWindow } from './window.js';

export const WINDOW_PLACEHOLDER = '{{window}}';
/** The longest goodQuery/totalQuery (the CRD's maxLength too). */
export const MAX_SLI_QUERY_LENGTH = 8192;

/** Checks what a schema cannot: objective range, window syntax, the placeholder in queries. */
export function validateSlo(spec: ServiceLevelObjectiveSpec, path = 'spec'): void {
  if (spec.service.trim() === '')
    throw new InvalidSpecError(`${path}.service`, 'must name the service');
  if (!(spec.objective > 0 && spec.objective < 100))
    throw new InvalidSpecError(
      `${path}.objective`,
      `must be a percentage strictly between 0 and 100 (e.g. 99.9), got ${spec.objective}`,
    );
  const window = spec.window ?? DEFAULT_SLO_WINDOW;
  if (!new RegExp(SLO_WINDOW_PATTERN).test(window))
    throw new InvalidSpecError(
      `${path}.window`,
      `"${window}" must be a whole number of minutes, hours, days or weeks in one unit (e.g. 28d, 4w, 90m)`,
    );
  parseSloWindow(window, `${path}.window`);
  for (const key of ['goodQuery', 'totalQuery'] as const) {
    if (spec.sli[key].length > MAX_SLI_QUERY_LENGTH)
      throw new InvalidSpecError(
        `${path}.sli.${key}`,
        `is ${spec.sli[key].length} characters long; at most ${MAX_SLI_QUERY_LENGTH}`,
      );
    if (!spec.sli[key].includes(WINDOW_PLACEHOLDER))
      throw new InvalidSpecError(
        `${path}.sli.${key}`,
        `must contain ${WINDOW_PLACEHOLDER} where the range goes, e.g. rate(x[${WINDOW_PLACEHOLDER}])`,
      );
  }
}

/** The query with its range placeholder replaced, e.g. renderWindow(q, "5m"). */
export function renderWindow(query: string, window: string): string {
  return query.split(WINDOW_PLACEHOLDER).join(window);
}
