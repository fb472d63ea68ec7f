// OpenAPI v3 documents, one per group-version. kubectl reads them to learn that the server
// validates fields itself (the fieldValidation parameter on PATCH) and `kubectl explain` reads
// the custom resources' schemas from them. Built-in kinds get paths but no schema, so kubectl
// falls back to its compiled-in types for strategic merge patches.
import { createHash } from 'node:crypto';
import type { ResourceRegistry } from './registry.js';
import { groupVersion, type ResourceDef, type Schema } from './types.js';

function prefix(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function schemaName(def: ResourceDef, version: string): string {
  const reversed = def.group.split('.').reverse().join('.');
  return `${reversed}.${version}.${def.kind}`;
}

const QUERY = (name: string): Record<string, unknown> => ({
  name,
  in: 'query',
  schema: { type: 'string', uniqueItems: true },
});

function operation(
  def: ResourceDef,
  version: string,
  action: string,
  params: string[],
): Record<string, unknown> {
  return {
    operationId: `${action}${def.kind}`,
    parameters: params.map(QUERY),
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: def.group, version, kind: def.kind },
  };
}

function pathsFor(def: ResourceDef, version: string): Record<string, unknown> {
  const base = `/${prefix(def.group, version)}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.plural}`;
  const writes = ['dryRun', 'fieldManager', 'fieldValidation'];
  const item = {
    get: operation(def, version, 'get', []),
    put: operation(def, version, 'put', writes),
    patch: operation(def, version, 'patch', [...writes, 'force']),
    delete: operation(def, version, 'delete', ['dryRun', 'propagationPolicy']),
  };
  const collection = {
    get: operation(def, version, 'list', [
      'labelSelector',
      'fieldSelector',
      'limit',
      'continue',
      'watch',
    ]),
    post: operation(def, version, 'post', writes),
  };
  const out: Record<string, unknown> = { [base]: collection, [`${base}/{name}`]: item };
  if (def.statusSubresource) {
    out[`${base}/{name}/status`] = { get: item.get, put: item.put, patch: item.patch };
  }
  return out;
}

const METADATA: Schema = {
  type: 'object',
  description:
    "Standard object's metadata: name, namespace, labels, annotations, finalizers, ownerReferences.",
  'x-kubernetes-preserve-unknown-fields': true,
};

function componentFor(def: ResourceDef, version: string): Record<string, unknown> | undefined {
  const schema = def.versions.find((v) => v.name === version)?.schema;
  if (def.builtin || schema === undefined) return undefined;
  return {
    ...schema,
    properties: {
      apiVersion: {
        type: 'string',
        description: 'APIVersion defines the versioned schema of this representation of an object.',
      },
      kind: {
        type: 'string',
        description:
          'Kind is a string value representing the REST resource this object represents.',
      },
      metadata: METADATA,
      ...(schema.properties ?? {}),
    },
    'x-kubernetes-group-version-kind': [{ group: def.group, version, kind: def.kind }],
  };
}

function groupVersions(registry: ResourceRegistry): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const def of registry.all()) {
    for (const v of def.versions)
      seen.set(prefix(def.group, v.name), { group: def.group, version: v.name });
  }
  return [...seen.values()];
}

function document(
  registry: ResourceRegistry,
  group: string,
  version: string,
): Record<string, unknown> {
  const defs = registry.inGroupVersion(group, version);
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const def of defs) {
    Object.assign(paths, pathsFor(def, version));
    const component = componentFor(def, version);
    if (component !== undefined) schemas[schemaName(def, version)] = component;
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0-sluice-sandbox' },
    paths,
    components: { schemas },
  };
}

export function openApiV3Index(registry: ResourceRegistry): unknown {
  const paths: Record<string, unknown> = {};
  for (const { group, version } of groupVersions(registry)) {
    const hash = createHash('sha256')
      .update(JSON.stringify(document(registry, group, version)))
      .digest('hex')
      .slice(0, 32)
      .toUpperCase();
    paths[prefix(group, version)] = {
      serverRelativeURL: `/openapi/v3/${prefix(group, version)}?hash=${hash}`,
    };
  }
  return { paths };
}

/** The document for `api/v1` or `apis/<group>/<version>`; undefined when not served. */
export function openApiV3Group(registry: ResourceRegistry, path: string): unknown {
  const found = groupVersions(registry).find((gv) => prefix(gv.group, gv.version) === path);
  return found === undefined ? undefined : document(registry, found.group, found.version);
}

export function gvLabel(group: string, version: string): string {
  return groupVersion(group, version);
}
