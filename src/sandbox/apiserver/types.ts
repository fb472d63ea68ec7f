// Shared shapes of the sandbox API server: resource definitions, stored objects, write records.

/** A JSON object as the API server stores and serves it. */
export type KubeObject = Record<string, unknown>;

/** The subset of OpenAPI v3 that structural CRD schemas use. */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  uniqueItems?: boolean;
  pattern?: string;
  format?: string;
  description?: string;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  not?: Schema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-validations'?: unknown[];
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface VersionDef {
  name: string;
  schema?: Schema;
  printerColumns: PrinterColumn[];
}

/** How metadata.generation moves: on a spec change, on any change outside metadata/status, never. */
export const GENERATION_RULES = ['spec', 'nonMetadata', 'none'] as const;
export type GenerationRule = (typeof GENERATION_RULES)[number];

/** One validation failure, as Status details.causes[] reports it. */
export interface Cause {
  reason: string;
  message: string;
  field: string;
}

export interface ResourceDef {
  /** '' for the core group. */
  group: string;
  /** Served versions; the first is the storage and preferred version. */
  versions: VersionDef[];
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  statusSubresource: boolean;
  scale?: ScaleSubresource;
  /** Built-in types accept strategic merge patch; custom resources do not. */
  builtin: boolean;
  generation: GenerationRule;
  /** When set, unknown fields are kept even where the schema does not mention them. */
  preserveUnknown: boolean;
  /** Extra checks (admission webhooks, built-in validation) run after the schema. */
  validate?: (obj: KubeObject) => Cause[];
  /** Built-in decoding checks (may throw 400) and defaulting, run before validation. */
  applyDefaults?: (obj: KubeObject) => void;
  /** Set for resources created from a CRD: the CRD's name. */
  crdName?: string;
}

export const WRITE_VERBS = ['create', 'update', 'patch', 'delete'] as const;
export type WriteVerb = (typeof WRITE_VERBS)[number];

/** Every mutating request the server received, including the rejected ones. */
export interface WriteRecord {
  /** Epoch milliseconds when the request arrived. */
  at: number;
  verb: WriteVerb;
  /** The plural resource name, e.g. "virtualservices". */
  resource: string;
  group: string;
  namespace: string | undefined;
  name: string | undefined;
  subresource?: string;
  contentType?: string;
  body: unknown;
  /** The HTTP status of the answer. */
  status: number;
}

/** Makes matching writes fail with `status` and a Status body carrying `message`. */
export interface FailureRule {
  verb?: WriteVerb;
  /** Plural name ("virtualservices") or plural.group ("virtualservices.networking.istio.io"). */
  resource?: string;
  name?: string;
  namespace?: string;
  subresource?: string;
  status: number;
  message: string;
  /** How many writes fail before the rule expires; unlimited when absent. */
  times?: number;
}

export function resourceKey(def: Pick<ResourceDef, 'group' | 'plural'>): string {
  return def.group === '' ? def.plural : `${def.plural}.${def.group}`;
}

export function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepClone<T>(value: T): T {
  return structuredClone(value);
}

export function metadataOf(obj: KubeObject): Record<string, unknown> {
  const meta = obj['metadata'];
  if (isObject(meta)) return meta;
  const fresh: Record<string, unknown> = {};
  obj['metadata'] = fresh;
  return fresh;
}

export function stringField(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' ? v : undefined;
}
