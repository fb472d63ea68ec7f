import { InvalidSpecError } from '../../domain/errors.js';
import {
  API_VERSION,
  type AnalysisRun,
  type AnalysisTemplate,
  type Rollout,
} from '../../domain/types.js';

/** Turns what the API server sent into a trusted value, or throws InvalidSpecError. */
export type Parser<T> = (raw: unknown) => T;

// TODO(parse-boundary): parse.ts (full schema validation, written by another engineer) is not
// in the tree yet; until it is, these check only the envelope (apiVersion, kind, name, spec)
// so a wrong kind or a missing spec cannot reach the controller. Switch them to parse.ts.
function envelope(raw: unknown, kinds: readonly string[]): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new InvalidSpecError('', 'the object is not a JSON object');
  const obj = raw as Record<string, unknown>;
  if (obj.apiVersion !== API_VERSION)
    throw new InvalidSpecError(
      'apiVersion',
      `must be ${API_VERSION}, got ${String(obj.apiVersion)}`,
    );
  if (typeof obj.kind !== 'string' || !kinds.includes(obj.kind))
    throw new InvalidSpecError(
      'kind',
      `must be one of ${kinds.join(', ')}, got ${String(obj.kind)}`,
    );
  const meta = obj.metadata as Record<string, unknown> | undefined;
  if (typeof meta !== 'object' || meta === null || typeof meta.name !== 'string')
    throw new InvalidSpecError('metadata.name', 'is required');
  if (typeof obj.spec !== 'object' || obj.spec === null)
    throw new InvalidSpecError('spec', 'is required');
  return obj;
}

export const parseRolloutObject: Parser<Rollout> = (raw) =>
  envelope(raw, ['Rollout']) as unknown as Rollout;

export const parseAnalysisTemplateObject: Parser<AnalysisTemplate> = (raw) =>
  envelope(raw, ['AnalysisTemplate', 'ClusterAnalysisTemplate']) as unknown as AnalysisTemplate;

export const parseAnalysisRunObject: Parser<AnalysisRun> = (raw) =>
  envelope(raw, ['AnalysisRun']) as unknown as AnalysisRun;
