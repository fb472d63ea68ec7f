import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { InvalidSpecError } from '../../domain/errors.js';
import {
  API_VERSION,
  type AnalysisRun,
  type AnalysisTemplate,
  type Rollout,
} from '../../domain/types.js';
import { parseAnalysisRun, parseAnalysisTemplate, parseRolloutShape } from './parse.js';

/** Turns what the API server sent into a trusted value, or throws InvalidSpecError. */
export type Parser<T> = (raw: unknown) => T;

// The envelope (apiVersion, kind, name, spec) is checked first so a wrong kind gets a clear
// message; then parse.ts validates against the CRD schema and the semantic rules.
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

/** Schema only: the controller reports semantic problems on the status (see parseRolloutShape). */
export const parseRolloutObject: Parser<Rollout> = (raw) =>
  parseRolloutShape(envelope(raw, ['Rollout']));

export const parseAnalysisTemplateObject: Parser<AnalysisTemplate> = (raw) =>
  parseAnalysisTemplate(envelope(raw, ['AnalysisTemplate', 'ClusterAnalysisTemplate']));

export const parseAnalysisRunObject: Parser<AnalysisRun> = (raw) =>
  parseAnalysisRun(envelope(raw, ['AnalysisRun']));

// NOTE: the generated serializer is not re-exported by client-node 1.4; its module is stable
// inside the 1.4 line we pin. Watch events carry raw JSON, while the typed APIs return model
// objects (with Date fields): deserializing watch objects the same way keeps an informer's
// cache of Deployments or Services identical in shape to what `get` returns.
function builtin<T>(kind: string, model: string): Parser<T> {
  return (raw) => {
    const obj = (typeof raw === 'object' && raw !== null ? raw : {}) as {
      kind?: unknown;
      metadata?: { name?: unknown };
    };
    if (obj.kind !== undefined && obj.kind !== kind)
      throw new InvalidSpecError('kind', `must be ${kind}, got ${String(obj.kind)}`);
    if (typeof obj.metadata?.name !== 'string')
      throw new InvalidSpecError('metadata.name', 'is required');
    return ObjectSerializer.deserialize(raw, model, '') as T;
  };
}

export const parseDeploymentObject: Parser<V1Deployment> = builtin('Deployment', 'V1Deployment');
export const parseServiceObject: Parser<V1Service> = builtin('Service', 'V1Service');
