import { InvalidSpecError } from '../errors.js';
import type { ServiceLevelObjectiveSpec } from './types.js';
import { DEFAULT_SLO_WINDOW } from './types.js';
import { parseSloWindow } from './window.js';

export const WINDOW_PLACEHOLDER = '{{window}}';

/** Checks what a schema cannot: objective range, window syntax, the placeholder in queries. */
export function validateSlo(spec: ServiceLevelObjectiveSpec, path = 'spec'): void {
  if (spec.service.trim() === '')
    throw new InvalidSpecError(`${path}.service`, 'must name the service');
  if (!(spec.objective > 0 && spec.objective < 100))
    throw new InvalidSpecError(
      `${path}.objective`,
      `must be a percentage strictly between 0 and 100 (e.g. 99.9), got ${spec.objective}`,
    );
  parseSloWindow(spec.window ?? DEFAULT_SLO_WINDOW, `${path}.window`);
  for (const key of ['goodQuery', 'totalQuery'] as const) {
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
