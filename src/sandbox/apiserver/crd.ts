// Turns a CustomResourceDefinition into the resource definition the server serves, and loads
// CRD YAML files from a directory.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  isObject,
  type Cause,
  type KubeObject,
  type PrinterColumn,
  type ResourceDef,
  type Schema,
  type VersionDef,
} from './types.js';

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

/** Kubernetes version priority: GA > beta > alpha, then by number, then others by name. */
export function versionPriority(a: string, b: string): number {
  const parse = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0];
    const stage = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0)];
  };
  const [pa, pb] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

/** Structural checks kube-apiserver makes before accepting a CRD. */
export function validateCrd(crd: KubeObject): Cause[] {
  const causes: Cause[] = [];
  const req = (field: string): void =>
    void causes.push({ reason: 'FieldValueRequired', message: 'Required value', field });
  const spec = isObject(crd['spec']) ? crd['spec'] : undefined;
  if (spec === undefined)
    return [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec' }];
  const names = isObject(spec['names']) ? spec['names'] : {};
  const group = str(spec['group']);
  const plural = str(names['plural']);
  if (group === undefined) req('spec.group');
  if (plural === undefined) req('spec.names.plural');
  if (str(names['kind']) === undefined) req('spec.names.kind');
  if (spec['scope'] !== 'Namespaced' && spec['scope'] !== 'Cluster') {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(spec['scope'])}: supported values: "Cluster", "Namespaced"`,
      field: 'spec.scope',
    });
  }
  const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isObject) : [];
  if (versions.length === 0) req('spec.versions');
  if (versions.length > 0 && versions.filter((v) => v['storage'] === true).length !== 1) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: 'Invalid value: must have exactly one version marked as storage version',
      field: 'spec.versions',
    });
  }
  const meta = isObject(crd['metadata']) ? crd['metadata'] : {};
  if (group !== undefined && plural !== undefined && meta['name'] !== `${plural}.${group}`) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(meta['name'])}: must be spec.names.plural+"."+spec.group`,
      field: 'metadata.name',
    });
  }
  return causes;
}

function printerColumns(v: unknown): PrinterColumn[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObject).flatMap((c) => {
    const name = str(c['name']);
    const jsonPath = str(c['jsonPath']);
    if (name === undefined || jsonPath === undefined) return [];
    const col: PrinterColumn = { name, jsonPath, type: str(c['type']) ?? 'string' };
    const description = str(c['description']);
    if (description !== undefined) col.description = description;
    const format = str(c['format']);
    if (format !== undefined) col.format = format;
    if (typeof c['priority'] === 'number') col.priority = c['priority'];
    return [col];
  });
}

/** The resource a (valid) CRD defines. Call validateCrd first. */
export function resourceFromCrd(crd: KubeObject): ResourceDef {
  const spec = isObject(crd['spec']) ? crd['spec'] : {};
  const names = isObject(spec['names']) ? spec['names'] : {};
  const kind = str(names['kind']) ?? '';
  const raw = Array.isArray(spec['versions']) ? spec['versions'].filter(isObject) : [];
  const served = raw.filter((v) => v['served'] !== false);
  const versions: VersionDef[] = served
    .map((v) => {
      const schemaHolder = isObject(v['schema']) ? v['schema'] : {};
      const schema = isObject(schemaHolder['openAPIV3Schema'])
        ? (schemaHolder['openAPIV3Schema'] as Schema)
        : undefined;
      const def: VersionDef = {
        name: str(v['name']) ?? '',
        printerColumns: printerColumns(v['additionalPrinterColumns']),
      };
      if (schema !== undefined) def.schema = schema;
      return def;
    })
    .sort((a, b) => versionPriority(a.name, b.name));
  const storage = raw.find((v) => v['storage'] === true) ?? raw[0] ?? {};
  const subresources = isObject(storage['subresources']) ? storage['subresources'] : {};
  const scale = isObject(subresources['scale']) ? subresources['scale'] : undefined;
  const def: ResourceDef = {
    group: str(spec['group']) ?? '',
    versions,
    plural: str(names['plural']) ?? '',
    singular: str(names['singular']) ?? kind.toLowerCase(),
    kind,
    listKind: str(names['listKind']) ?? `${kind}List`,
    namespaced: spec['scope'] !== 'Cluster',
    shortNames: strings(names['shortNames']),
    categories: strings(names['categories']),
    statusSubresource: isObject(subresources['status']),
    builtin: false,
    generation: 'nonMetadata',
    preserveUnknown: spec['preserveUnknownFields'] === true,
    crdName: `${str(names['plural']) ?? ''}.${str(spec['group']) ?? ''}`,
  };
  if (scale !== undefined) {
    def.scale = {
      specReplicasPath: str(scale['specReplicasPath']) ?? '.spec.replicas',
      statusReplicasPath: str(scale['statusReplicasPath']) ?? '.status.replicas',
    };
    const selectorPath = str(scale['labelSelectorPath']);
    if (selectorPath !== undefined) def.scale.labelSelectorPath = selectorPath;
  }
  return def;
}

/** The status kube-apiserver reports once it serves a CRD. */
export function establishedStatus(crd: KubeObject, now: string): Record<string, unknown> {
  const spec = isObject(crd['spec']) ? crd['spec'] : {};
  const raw = Array.isArray(spec['versions']) ? spec['versions'].filter(isObject) : [];
  const condition = (type: string, reason: string, message: string): Record<string, unknown> => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    acceptedNames: spec['names'] ?? {},
    storedVersions: raw.filter((v) => v['storage'] === true).map((v) => v['name']),
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
  };
}

/** Every CustomResourceDefinition document in the *.yaml / *.yml / *.json files of `dir`. */
export async function loadCrdDir(dir: string): Promise<KubeObject[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  } catch (err) {
    if (isObject(err) && err['code'] === 'ENOENT') return [];
    throw err;
  }
  const crds: KubeObject[] = [];
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0)
        throw new Error(`${file}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
      const value: unknown = doc.toJS();
      if (isObject(value) && value['kind'] === 'CustomResourceDefinition') crds.push(value);
    }
  }
  return crds;
}
