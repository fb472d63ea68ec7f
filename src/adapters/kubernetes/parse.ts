import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { InvalidSpecError } from '../../domain/errors.js';
import { API_VERSION } from '../../domain/types.js';
import type { AnalysisRun, AnalysisTemplate, Rollout } from '../../domain/types.js';
import {
  validateAnalysisTemplateSpec,
  validateMetricSpecs,
  validateRolloutSpec,
  type SpecProblem,
} from '../../domain/validate-rollout.js';
import {
  ANALYSIS_RUN_SCHEMA,
  ANALYSIS_TEMPLATE_SCHEMA,
  OBJECT_META_SCHEMA,
  ROLLOUT_SCHEMA,
  type JsonSchema,
} from './crd-schemas.js';

// The boundary where Sluice's resources become typed values: the same schemas as the CRDs
// (so an object the API server accepted passes here, and one it would refuse fails with the
// same field path), then the semantic rules of domain/validate-rollout.ts.

/** Keywords Kubernetes understands and ajv need not: accepted, not checked. */
export const KUBERNETES_KEYWORDS = [
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
] as const;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** An ajv instance that knows the Kubernetes keywords and formats used in the CRD schemas. */
export function createSchemaValidator(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
  for (const keyword of KUBERNETES_KEYWORDS) ajv.addKeyword(keyword);
  ajv.addFormat('date-time', RFC3339);
  return ajv;
}

/** The CRD schema with metadata, apiVersion and kind checked as the API server checks them. */
function boundarySchema(schema: JsonSchema, kinds: readonly string[]): JsonSchema {
  return {
    ...schema,
    properties: {
      ...schema.properties,
      apiVersion: { type: 'string', enum: [API_VERSION] },
      kind: { type: 'string', enum: kinds },
      metadata: OBJECT_META_SCHEMA,
    },
    required: ['apiVersion', 'kind', 'metadata', ...(schema.required ?? [])],
  };
}

interface Checker {
  schema: JsonSchema;
  validate: ValidateFunction;
}

let checkers: { rollout: Checker; template: Checker; run: Checker } | undefined;

// Compiled on first use, not at import time.
function getCheckers(): NonNullable<typeof checkers> {
  if (checkers === undefined) {
    const ajv = createSchemaValidator();
    const make = (schema: JsonSchema): Checker => ({ schema, validate: ajv.compile(schema) });
    checkers = {
      rollout: make(boundarySchema(ROLLOUT_SCHEMA, ['Rollout'])),
      template: make(
        boundarySchema(ANALYSIS_TEMPLATE_SCHEMA, ['AnalysisTemplate', 'ClusterAnalysisTemplate']),
      ),
      run: make(boundarySchema(ANALYSIS_RUN_SCHEMA, ['AnalysisRun'])),
    };
  }
  return checkers;
}

/**
 * Drops fields the schema does not declare, as the API server prunes them, so a value read
 * from any source has exactly the typed shape. Returns a new value; the input is untouched.
 */
export function pruneUnknownFields(schema: JsonSchema, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = schema.items;
    return items ? value.map((v: unknown) => pruneUnknownFields(items, v)) : [...value];
  }
  if (typeof value !== 'object' || value === null) return value;
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const known = schema.properties?.[key];
    const extra = schema.additionalProperties;
    if (known) out[key] = pruneUnknownFields(known, v);
    else if (typeof extra === 'object') out[key] = pruneUnknownFields(extra, v);
    else if (extra === true || schema.properties === undefined) out[key] = v;
  }
  return out;
}

/** `/spec/strategy/canary/steps/2/setWeight` → `spec.strategy.canary.steps[2].setWeight`. */
export function fieldPath(pointer: string, child?: string): string {
  const parts = pointer === '' ? [] : pointer.slice(1).split('/');
  if (child !== undefined) parts.push(child);
  let path = '';
  for (const raw of parts) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) path += `[${part}]`;
    else path += path === '' ? part : `.${part}`;
  }
  return path === '' ? '(root)' : path;
}

function describeValue(v: unknown): string {
  const text = JSON.stringify(v);
  if (text === undefined) return String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** One ajv error as a field path and a message that says what is wrong and what to do. */
export function explainSchemaError(e: ErrorObject): SpecProblem {
  const got = `got ${describeValue(e.data)}`;
  const parent = e.parentSchema as JsonSchema | undefined;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return {
        field: fieldPath(e.instancePath, String(params.missingProperty)),
        message: 'is required; add it',
      };
    case 'type':
      return {
        field: fieldPath(e.instancePath),
        message: `must be ${article(String(params.type))}; ${got}`,
      };
    case 'enum':
      return {
        field: fieldPath(e.instancePath),
        message: `must be one of ${(parent?.enum ?? []).join(', ')}; ${got}`,
      };
    case 'minimum':
    case 'maximum':
      return { field: fieldPath(e.instancePath), message: `${rangeText(parent)}; ${got}` };
    case 'pattern':
      return {
        field: fieldPath(e.instancePath),
        message: `is not a duration; use e.g. "30s", "5m" or "1h30m"; ${got}`,
      };
    case 'minProperties':
    case 'maxProperties': {
      const keys = Object.keys(parent?.properties ?? {});
      const present = typeof e.data === 'object' && e.data !== null ? Object.keys(e.data) : [];
      const found = present.length === 0 ? 'none' : present.join(', ');
      return {
        field: fieldPath(e.instancePath),
        message: `must have exactly one of ${keys.join(', ')}; found ${found}. Split it into one step per key`,
      };
    }
    case 'minLength':
      return { field: fieldPath(e.instancePath), message: 'must not be empty' };
    case 'minItems':
      return {
        field: fieldPath(e.instancePath),
        message: `must list at least ${String(params.limit)} item(s)`,
      };
    case 'maxItems':
      return {
        field: fieldPath(e.instancePath),
        message: `must list at most ${String(params.limit)} items`,
      };
    case 'format':
      return {
        field: fieldPath(e.instancePath),
        message: `must be an RFC 3339 time such as 2026-01-02T15:04:05Z; ${got}`,
      };
    default:
      return { field: fieldPath(e.instancePath), message: `${e.message ?? 'is invalid'}; ${got}` };
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function rangeText(schema: JsonSchema | undefined): string {
  const min = schema?.minimum;
  const max = schema?.maximum;
  const kind = schema?.type === 'integer' ? 'an integer' : 'a number';
  if (min !== undefined && max !== undefined) return `must be ${kind} from ${min} to ${max}`;
  if (min !== undefined) return `must be ${kind} >= ${min}`;
  return `must be ${kind} <= ${String(max)}`;
}

function fail(what: string, raw: unknown, problems: SpecProblem[]): never {
  const first = problems[0] ?? { field: '(root)', message: 'is invalid' };
  throw new InvalidSpecError(first.field, `${first.message}${restOf(problems)}`, {
    details: { resource: `${what} ${objectName(raw)}`, problems },
  });
}

/** The problems after the first, named in the message too (the status shows only that). */
export function restOf(problems: SpecProblem[], shown = 4): string {
  const rest = problems.slice(1, 1 + shown).map((p) => `; ${p.field}: ${p.message}`);
  const hidden = problems.length - 1 - rest.length;
  return `${rest.join('')}${hidden > 0 ? ` (and ${hidden} more)` : ''}`;
}

/** "namespace/name" of an object that may not parse, for error messages. */
export function objectName(raw: unknown): string {
  if (typeof raw !== 'object' || raw === null) return '(not an object)';
  const meta = (raw as { metadata?: unknown }).metadata;
  if (typeof meta !== 'object' || meta === null) return '(unnamed)';
  const { namespace, name } = meta as { namespace?: unknown; name?: unknown };
  const n = typeof name === 'string' ? name : '(unnamed)';
  return typeof namespace === 'string' ? `${namespace}/${n}` : n;
}

function check<T>(what: string, { schema, validate }: Checker, raw: unknown): T {
  const value = pruneUnknownFields(schema, raw);
  if (!validate(value)) fail(what, raw, (validate.errors ?? []).map(explainSchemaError));
  return value as T;
}

/** Validates a Rollout from the API server or a file; throws InvalidSpecError naming the field. */
/**
 * Checks a Rollout against its schema only. The controller reads Rollouts this way and reports
 * the semantic rules (validateRolloutSpec) on the status itself, so a Rollout that breaks them
 * is still seen, listed by the API, and still obeys an abort.
 */
export function parseRolloutShape(raw: unknown): Rollout {
  return check<Rollout>('Rollout', getCheckers().rollout, raw);
}

export function parseRollout(raw: unknown): Rollout {
  const rollout = check<Rollout>('Rollout', getCheckers().rollout, raw);
  const problems = validateRolloutSpec(rollout.spec);
  if (problems.length > 0) fail('Rollout', raw, problems);
  return rollout;
}

/** Validates an AnalysisTemplate or ClusterAnalysisTemplate. */
export function parseAnalysisTemplate(raw: unknown): AnalysisTemplate {
  const template = check<AnalysisTemplate>('AnalysisTemplate', getCheckers().template, raw);
  const problems = validateAnalysisTemplateSpec(template.spec);
  if (problems.length > 0) fail(template.kind, raw, problems);
  return template;
}

/** Validates an AnalysisRun (spec and status). */
export function parseAnalysisRun(raw: unknown): AnalysisRun {
  const run = check<AnalysisRun>('AnalysisRun', getCheckers().run, raw);
  const problems = validateMetricSpecs('spec.metrics', run.spec.metrics, { run: true });
  if (problems.length > 0) fail('AnalysisRun', raw, problems);
  return run;
}
