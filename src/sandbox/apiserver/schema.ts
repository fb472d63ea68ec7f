// Structural-schema processing for custom resources, in kube-apiserver's order: drop nulls the
// schema does not allow, prune unknown fields, fill defaults, then validate.
import { isObject, type Cause, type KubeObject, type Schema } from './types.js';

export interface PruneResult {
  /** Field paths that were dropped because the schema does not know them. */
  pruned: string[];
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function preserves(schema: Schema): boolean {
  return schema['x-kubernetes-preserve-unknown-fields'] === true;
}

/**
 * Prunes and defaults `obj` in place against the root schema of one version. The root's
 * apiVersion, kind and metadata are never pruned (the server handles metadata itself).
 */
export function pruneAndDefault(obj: KubeObject, schema: Schema | undefined): PruneResult {
  const result: PruneResult = { pruned: [] };
  if (schema === undefined) return result;
  walkObject(obj, schema, '', result, true);
  return result;
}

function walkObject(
  obj: Record<string, unknown>,
  schema: Schema,
  path: string,
  result: PruneResult,
  isRoot: boolean,
): void {
  const props = schema.properties ?? {};
  const extra = schema.additionalProperties;
  const keepMeta = isRoot || schema['x-kubernetes-embedded-resource'] === true;
  for (const key of Object.keys(obj)) {
    if (keepMeta && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
    const sub = props[key] ?? (isObject(extra) ? extra : undefined);
    if (sub === undefined) {
      if (!preserves(schema) && extra !== true) {
        delete obj[key];
        result.pruned.push(join(path, key));
      }
      continue;
    }
    const walked = walkValue(obj[key], sub, join(path, key), result);
    if (walked === undefined) delete obj[key];
    else obj[key] = walked;
  }
  for (const [key, sub] of Object.entries(props)) {
    if (obj[key] === undefined && sub.default !== undefined) {
      obj[key] = walkValue(structuredClone(sub.default), sub, join(path, key), result);
    }
  }
}

/** Returns the value to keep, or undefined to drop it (a null the schema does not allow). */
function walkValue(value: unknown, schema: Schema, path: string, result: PruneResult): unknown {
  if (value === null) return schema.nullable === true ? null : undefined;
  if (isObject(value) && (schema.type === 'object' || schema.properties !== undefined)) {
    walkObject(value, schema, path, result, false);
  } else if (Array.isArray(value) && schema.items !== undefined) {
    const items = schema.items;
    return value.map((item, i) => walkValue(item, items, `${path}[${i}]`, result) ?? null);
  }
  return value;
}

function show(value: unknown): string {
  if (isObject(value)) return '"object"';
  if (Array.isArray(value)) return '"array"';
  return JSON.stringify(value) ?? 'null';
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(value: unknown, schema: Schema): boolean {
  if (schema['x-kubernetes-int-or-string'] === true) {
    return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
  }
  const t = typeOf(value);
  switch (schema.type) {
    case undefined:
      return true;
    case 'number':
      return t === 'number' || t === 'integer';
    case 'object':
    case 'array':
    case 'string':
    case 'integer':
    case 'boolean':
      return t === schema.type;
    default: {
      const never: never = schema.type;
      return never;
    }
  }
}

function invalidCause(path: string, value: unknown, detail: string): Cause {
  return {
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${show(value)}: ${path} in body ${detail}`,
    field: path,
  };
}

/** Validates `value` against `schema`, appending one cause per failing field path. */
export function validateValue(value: unknown, schema: Schema, path: string, causes: Cause[]): void {
  if (value === null) {
    if (schema.nullable !== true) {
      causes.push({
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: "null": ${path} in body must be of type ${schema.type ?? 'object'}: "null"`,
        field: path,
      });
    }
    return;
  }
  if (!typeMatches(value, schema)) {
    const want = schema['x-kubernetes-int-or-string'] === true ? 'integer or string' : schema.type;
    causes.push({
      reason: 'FieldValueTypeInvalid',
      message: `Invalid value: ${show(value)}: ${path} in body must be of type ${want}: "${typeOf(value)}"`,
      field: path,
    });
    return;
  }
  validateConstraints(value, schema, path, causes);
  validateCombinators(value, schema, path, causes);
  if (isObject(value)) validateObject(value, schema, path, causes);
  if (Array.isArray(value)) validateArray(value, schema, path, causes);
}

function validateConstraints(value: unknown, schema: Schema, path: string, causes: Cause[]): void {
  if (
    schema.enum !== undefined &&
    !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))
  ) {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${show(value)}: supported values: ${schema.enum.map(show).join(', ')}`,
      field: path,
    });
  }
  if (typeof value === 'number') {
    const { minimum, maximum } = schema;
    if (minimum !== undefined && (schema.exclusiveMinimum ? value <= minimum : value < minimum)) {
      const op = schema.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
      causes.push(invalidCause(path, value, `should be ${op} ${minimum}`));
    }
    if (maximum !== undefined && (schema.exclusiveMaximum ? value >= maximum : value > maximum)) {
      const op = schema.exclusiveMaximum ? 'less than' : 'less than or equal to';
      causes.push(invalidCause(path, value, `should be ${op} ${maximum}`));
    }
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) {
      causes.push(invalidCause(path, value, `should be at least ${schema.minLength} chars long`));
    }
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength) {
      causes.push(invalidCause(path, value, `should be at most ${schema.maxLength} chars long`));
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      causes.push(invalidCause(path, value, `should match '${schema.pattern}'`));
    }
  }
}

function validateCombinators(value: unknown, schema: Schema, path: string, causes: Cause[]): void {
  const passes = (sub: Schema): boolean => {
    const local: Cause[] = [];
    validateValue(value, sub, path, local);
    return local.length === 0;
  };
  if (schema.allOf !== undefined) {
    for (const sub of schema.allOf) validateValue(value, sub, path, causes);
  }
  if (schema.anyOf !== undefined && !schema.anyOf.some(passes)) {
    causes.push(invalidCause(path, value, 'must validate at least one schema (anyOf)'));
  }
  if (schema.oneOf !== undefined) {
    const matched = schema.oneOf.filter(passes).length;
    if (matched !== 1) {
      causes.push(invalidCause(path, value, 'must validate one and only one schema (oneOf)'));
    }
  }
  if (schema.not !== undefined && passes(schema.not)) {
    causes.push(invalidCause(path, value, 'must not validate the schema (not)'));
  }
}

function validateObject(
  value: Record<string, unknown>,
  schema: Schema,
  path: string,
  causes: Cause[],
): void {
  for (const req of schema.required ?? []) {
    if (value[req] === undefined) {
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: join(path, req),
      });
    }
  }
  const count = Object.keys(value).length;
  if (schema.minProperties !== undefined && count < schema.minProperties) {
    causes.push(
      invalidCause(path, value, `should have at least ${schema.minProperties} properties`),
    );
  }
  if (schema.maxProperties !== undefined && count > schema.maxProperties) {
    causes.push(
      invalidCause(path, value, `should have at most ${schema.maxProperties} properties`),
    );
  }
  const props = schema.properties ?? {};
  const extra = schema.additionalProperties;
  for (const [key, v] of Object.entries(value)) {
    if (path === '' && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
    const sub = props[key] ?? (isObject(extra) ? extra : undefined);
    if (sub !== undefined && v !== undefined) validateValue(v, sub, join(path, key), causes);
  }
}

function validateArray(value: unknown[], schema: Schema, path: string, causes: Cause[]): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    causes.push(invalidCause(path, value, `should have at least ${schema.minItems} items`));
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    causes.push(invalidCause(path, value, `should have at most ${schema.maxItems} items`));
  }
  if (schema.uniqueItems === true) {
    const seen = new Set(value.map((v) => JSON.stringify(v)));
    if (seen.size !== value.length)
      causes.push(invalidCause(path, value, 'shall give unique items'));
  }
  const items = schema.items;
  if (items !== undefined)
    value.forEach((v, i) => validateValue(v, items, `${path}[${i}]`, causes));
}

/** Validates a whole object against its version's root schema. */
export function validateObjectSchema(obj: KubeObject, schema: Schema | undefined): Cause[] {
  const causes: Cause[] = [];
  if (schema !== undefined) validateValue(obj, schema, '', causes);
  return causes;
}
