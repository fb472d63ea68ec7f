// Defaulting, pruning and validation of an object before it is stored.
import { pruneAndDefault, validateObjectSchema } from './schema.js';
import { ApiStatusError, invalid } from './status.js';
import {
  isObject,
  metadataOf,
  type Cause,
  type KubeObject,
  type ResourceDef,
  type VersionDef,
} from './types.js';

export const FIELD_VALIDATION = ['Ignore', 'Warn', 'Strict'] as const;
export type FieldValidation = (typeof FIELD_VALIDATION)[number];

export function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === '') return 'Warn';
  const found = FIELD_VALIDATION.find((v) => v === value);
  if (found === undefined) {
    throw new ApiStatusError(
      400,
      `fieldValidation must be one of Ignore, Warn, Strict; got "${value}"`,
    );
  }
  return found;
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validateMetadata(obj: KubeObject): Cause[] {
  const meta = metadataOf(obj);
  const causes: Cause[] = [];
  const name = meta['name'];
  if (typeof name !== 'string' || name === '') {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
      field: 'metadata.name',
    });
  } else if (name.length > 253 || !NAME_RE.test(name)) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      field: 'metadata.name',
    });
  }
  for (const key of ['labels', 'annotations']) {
    const map = meta[key];
    if (map === undefined || map === null) continue;
    if (!isObject(map) || Object.values(map).some((v) => typeof v !== 'string')) {
      causes.push({
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: must be a map of strings`,
        field: `metadata.${key}`,
      });
    }
  }
  return causes;
}

export interface AdmissionResult {
  warnings: string[];
}

/**
 * Prepares `obj` in place: built-in defaults, schema pruning and defaults, then validation.
 * Throws 422 Invalid naming every failing field, or 400 for unknown fields under Strict.
 */
export function admit(
  def: ResourceDef,
  version: VersionDef,
  obj: KubeObject,
  fieldValidation: FieldValidation,
): AdmissionResult {
  def.applyDefaults?.(obj);
  const warnings: string[] = [];
  if (!def.preserveUnknown || version.schema !== undefined) {
    const { pruned } = pruneAndDefault(obj, version.schema);
    if (pruned.length > 0 && fieldValidation === 'Strict') {
      const list = pruned.map((p) => `unknown field "${p}"`).join(', ');
      throw new ApiStatusError(400, `strict decoding error: ${list}`, 'BadRequest');
    }
    if (fieldValidation === 'Warn') warnings.push(...pruned.map((p) => `unknown field "${p}"`));
  }
  const causes = [...validateMetadata(obj), ...validateObjectSchema(obj, version.schema)];
  if (causes.length === 0 && def.validate) causes.push(...def.validate(obj));
  if (causes.length > 0) {
    const name = metadataOf(obj)['name'];
    throw invalid(def.kind, def.group, typeof name === 'string' ? name : '', causes);
  }
  return { warnings };
}
