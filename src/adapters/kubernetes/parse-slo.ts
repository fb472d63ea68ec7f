import type { ValidateFunction } from 'ajv';
import { InvalidSpecError } from '../../domain/errors.js';
import { validateSlo, type ServiceLevelObjective } from '../../domain/slo/index.js';
import { API_VERSION, GROUP, VERSION } from '../../domain/types.js';
import type { KubeClients } from './client.js';
import { OBJECT_META_SCHEMA, SLO_SCHEMA, type JsonSchema } from './crd-schemas.js';
import {
  createSchemaValidator,
  explainSchemaError,
  objectName,
  pruneUnknownFields,
  restOf,
} from './parse.js';
import { createInformer, type Informer, type InformerOptions } from './informer.js';
import { customResource, type StatusAccess } from './resources.js';
import type { ResourceType } from './resource-types.js';

// The boundary where ServiceLevelObjectives become typed values: the CRD schema (so a field the
// API server would refuse fails here with the same path), then validateSlo for what a schema
// cannot say (the {{window}} placeholder, 0 < objective < 100, the window's syntax).

export const SLO_KIND = 'ServiceLevelObjective';

export const SLO_RESOURCE_TYPE = {
  group: GROUP,
  version: VERSION,
  plural: 'servicelevelobjectives',
  kind: SLO_KIND,
  namespaced: true,
} as const satisfies ResourceType;

const BOUNDARY: JsonSchema = {
  ...SLO_SCHEMA,
  properties: {
    ...SLO_SCHEMA.properties,
    apiVersion: { type: 'string', enum: [API_VERSION] },
    kind: { type: 'string', enum: [SLO_KIND] },
    metadata: OBJECT_META_SCHEMA,
  },
  required: ['apiVersion', 'kind', 'metadata', ...(SLO_SCHEMA.required ?? [])],
};

let compiled: ValidateFunction | undefined;

// Compiled on first use, not at import time.
function validator(): ValidateFunction {
  compiled ??= createSchemaValidator().compile(BOUNDARY);
  return compiled;
}

/**
 * Schema only. The controller and the API read SLOs this way, so an SLO that breaks the
 * semantic rules is still listed and its status can say why.
 */
export function parseSloShape(raw: unknown, source?: string): ServiceLevelObjective {
  const value = pruneUnknownFields(BOUNDARY, raw);
  const validate = validator();
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map(explainSchemaError);
    const first = problems[0] ?? { field: '(root)', message: 'is invalid' };
    const more = restOf(problems);
    throw new InvalidSpecError(`${prefix(raw, source)}${first.field}`, `${first.message}${more}`, {
      details: { resource: `${SLO_KIND} ${objectName(raw)}`, problems },
    });
  }
  return value as ServiceLevelObjective;
}

/** Schema and semantic rules: what `sluice slo rules -f` and the evaluator act on. */
export function parseSlo(raw: unknown, source?: string): ServiceLevelObjective {
  const slo = parseSloShape(raw, source);
  validateSlo(slo.spec, `${prefix(raw, source)}spec`);
  return slo;
}

/** "file.yaml: ServiceLevelObjective shop/availability: " before a field path, when known. */
function prefix(raw: unknown, source: string | undefined): string {
  return source === undefined ? '' : `${source}: ${SLO_KIND} ${objectName(raw)}: `;
}

/** Typed access to ServiceLevelObjectives (schema-checked; see parseSloShape). */
export function sloAccess(clients: KubeClients): StatusAccess<ServiceLevelObjective> {
  return customResource(clients, SLO_RESOURCE_TYPE, (raw) => parseSloShape(raw));
}

/** A list+watch cache of ServiceLevelObjectives. */
export function createSloInformer(
  clients: KubeClients,
  options: Omit<InformerOptions<ServiceLevelObjective>, 'parse'> = {},
): Informer<ServiceLevelObjective> {
  return createInformer(clients, sloAccess(clients), {
    ...options,
    parse: (raw) => parseSloShape(raw),
  });
}
