import { FlagProviderError } from '../../domain/errors.js';
import {
  VARIANT_PAYLOAD_TYPES,
  VARIANT_WEIGHT_TYPES,
  type FlagConstraint,
  type FlagStrategy,
  type FlagVariant,
} from '../../domain/flags.js';

// Unleash's answers, checked once here and turned into the domain's flag types. Unknown
// extra fields are dropped; a missing or mistyped field we rely on is a 'malformed' error.

type Obj = Record<string, unknown>;

/** A shape problem in an Unleash answer; `parsed` turns it into a FlagProviderError. */
export class Malformed extends Error {}

function obj(v: unknown, at: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Malformed(`${at}: not an object`);
  return v as Obj;
}

function arr(v: unknown, at: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Malformed(`${at}: not an array`);
  return v;
}

function str(v: unknown, at: string): string {
  if (typeof v !== 'string') throw new Malformed(`${at}: not a string`);
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], at: string): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new Malformed(`${at}: ${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
}

function num(v: unknown, at: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Malformed(`${at}: not a number`);
  return v;
}

export function parseVariant(v: unknown, at: string): FlagVariant {
  const o = obj(v, at);
  const variant: FlagVariant = {
    name: str(o.name, `${at}.name`),
    weight: num(o.weight, `${at}.weight`),
    weightType:
      o.weightType === undefined
        ? 'variable'
        : oneOf(o.weightType, VARIANT_WEIGHT_TYPES, `${at}.weightType`),
    stickiness: o.stickiness === undefined ? 'default' : str(o.stickiness, `${at}.stickiness`),
  };
  if (o.payload !== undefined && o.payload !== null) {
    const p = obj(o.payload, `${at}.payload`);
    variant.payload = {
      type: oneOf(p.type, VARIANT_PAYLOAD_TYPES, `${at}.payload.type`),
      value: str(p.value, `${at}.payload.value`),
    };
  }
  return variant;
}

function parseConstraint(v: unknown, at: string): FlagConstraint {
  const o = obj(v, at);
  const c: FlagConstraint = {
    contextName: str(o.contextName, `${at}.contextName`),
    operator: str(o.operator, `${at}.operator`),
  };
  if (o.values !== undefined)
    c.values = arr(o.values, `${at}.values`).map((x, i) => str(x, `${at}.values[${i}]`));
  if (typeof o.value === 'string') c.value = o.value;
  if (typeof o.inverted === 'boolean') c.inverted = o.inverted;
  if (typeof o.caseInsensitive === 'boolean') c.caseInsensitive = o.caseInsensitive;
  return c;
}

export function parseStrategy(v: unknown, at: string): FlagStrategy {
  const o = obj(v, at);
  const params = obj(o.parameters ?? {}, `${at}.parameters`);
  const parameters: Record<string, string> = {};
  for (const [k, p] of Object.entries(params))
    parameters[k] = typeof p === 'number' ? String(p) : str(p, `${at}.parameters.${k}`);
  return {
    id: str(o.id, `${at}.id`),
    name: str(o.name, `${at}.name`),
    title: o.title === undefined || o.title === null ? null : str(o.title, `${at}.title`),
    disabled: o.disabled === true,
    sortOrder:
      o.sortOrder === undefined || o.sortOrder === null ? 0 : num(o.sortOrder, `${at}.sortOrder`),
    parameters,
    constraints: arr(o.constraints, `${at}.constraints`).map((c, i) =>
      parseConstraint(c, `${at}.constraints[${i}]`),
    ),
    variants: arr(o.variants, `${at}.variants`).map((x, i) =>
      parseVariant(x, `${at}.variants[${i}]`),
    ),
    segments: arr(o.segments, `${at}.segments`).map((x, i) => num(x, `${at}.segments[${i}]`)),
  };
}

export interface FeatureEnvironment {
  enabled: boolean;
  strategies: FlagStrategy[];
  variants: FlagVariant[];
}

/**
 * GET /api/admin/projects/:p/features/:f/environments/:env (enabled, variants) and
 * GET .../environments/:env/strategies (the strategies, with their segments).
 */
export function parseFeatureEnvironment(
  body: unknown,
  strategiesBody: unknown,
): FeatureEnvironment {
  const o = obj(body, 'environment');
  if (typeof o.enabled !== 'boolean') throw new Malformed('environment.enabled: not a boolean');
  if (!Array.isArray(strategiesBody)) throw new Malformed('strategies: not an array');
  const strategies = strategiesBody.map((s, i) => parseStrategy(s, `strategies[${i}]`));
  return {
    enabled: o.enabled,
    strategies: sortStrategies(strategies),
    variants: arr(o.variants, 'environment.variants').map((v, i) =>
      parseVariant(v, `environment.variants[${i}]`),
    ),
  };
}

/** Sort order first, then id, so two reads of an unchanged flag compare equal. */
export function sortStrategies(strategies: FlagStrategy[]): FlagStrategy[] {
  return [...strategies].sort((a, b) => a.sortOrder - b.sortOrder || a.id.localeCompare(b.id));
}

/** Runs a parser and turns a shape problem into a FlagProviderError saying what was read. */
export function parsed<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof Malformed)
      throw new FlagProviderError(`${what}: unexpected answer from Unleash: ${err.message}`, {
        reason: 'malformed',
        cause: err,
      });
    throw err;
  }
}
