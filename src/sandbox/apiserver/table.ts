// The meta.k8s.io/v1 Table form `kubectl get` asks for, from printer columns.
import { getPath } from './objects.js';
import {
  groupVersion,
  isObject,
  metadataOf,
  type KubeObject,
  type PrinterColumn,
  type ResourceDef,
  type VersionDef,
} from './types.js';

/** True when the Accept header asks for a Table (kubectl get does). */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .some((part) => /;\s*as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}

/** kube's short human durations: 45s, 3m20s, 25m, 5h10m, 36h, 3d4h, 12d. */
export function humanAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return `${d}d`;
}

/** A printer column, or a built-in one whose cell is computed (kubectl's READY "1/2"). */
type Column = PrinterColumn & { value?: (obj: KubeObject) => unknown };

const num = (obj: KubeObject, path: string): number => {
  const v = getPath(obj, path);
  return typeof v === 'number' ? v : 0;
};

const DEFAULT_COLUMNS: Column[] = [
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

const BUILTIN_COLUMNS: Record<string, Column[]> = {
  'deployments.apps': [
    {
      name: 'Ready',
      type: 'string',
      jsonPath: '.status.readyReplicas',
      value: (o) => `${num(o, '.status.readyReplicas')}/${num(o, '.spec.replicas')}`,
    },
    {
      name: 'Up-to-date',
      type: 'integer',
      jsonPath: '.status.updatedReplicas',
      value: (o) => num(o, '.status.updatedReplicas'),
    },
    {
      name: 'Available',
      type: 'integer',
      jsonPath: '.status.availableReplicas',
      value: (o) => num(o, '.status.availableReplicas'),
    },
    ...DEFAULT_COLUMNS,
  ],
  events: [
    { name: 'Type', type: 'string', jsonPath: '.type' },
    { name: 'Reason', type: 'string', jsonPath: '.reason' },
    {
      name: 'Object',
      type: 'string',
      jsonPath: '.involvedObject.name',
      value: (o) =>
        `${String(getPath(o, '.involvedObject.kind') ?? '').toLowerCase()}/${String(getPath(o, '.involvedObject.name') ?? '')}`,
    },
    { name: 'Count', type: 'integer', jsonPath: '.count' },
    { name: 'Message', type: 'string', jsonPath: '.message' },
    ...DEFAULT_COLUMNS,
  ],
  services: [
    { name: 'Type', type: 'string', jsonPath: '.spec.type' },
    { name: 'Cluster-IP', type: 'string', jsonPath: '.spec.clusterIP' },
    ...DEFAULT_COLUMNS,
  ],
  'leases.coordination.k8s.io': [
    { name: 'Holder', type: 'string', jsonPath: '.spec.holderIdentity' },
    ...DEFAULT_COLUMNS,
  ],
};

function columnsFor(def: ResourceDef, version: VersionDef): Column[] {
  if (version.printerColumns.length > 0) return version.printerColumns;
  const key = def.group === '' ? def.plural : `${def.plural}.${def.group}`;
  return BUILTIN_COLUMNS[key] ?? DEFAULT_COLUMNS;
}

function cell(obj: KubeObject, col: Column, now: Date): unknown {
  const value = col.value ? col.value(obj) : getPath(obj, col.jsonPath);
  if (value === undefined || value === null)
    return col.type === 'integer' || col.type === 'number' ? null : '';
  if (col.type === 'date' && typeof value === 'string') {
    const t = Date.parse(value);
    return Number.isNaN(t) ? value : humanAge((now.getTime() - t) / 1000);
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return value;
  return JSON.stringify(value);
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function toTable(
  def: ResourceDef,
  version: VersionDef,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  include: IncludeObject,
  now: Date,
): KubeObject {
  const columns = columnsFor(def, version);
  const rowObject = (obj: KubeObject): unknown => {
    if (include === 'None') return undefined;
    if (include === 'Object') return obj;
    return {
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: metadataOf(obj),
    };
  };
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: [
      {
        name: 'Name',
        type: 'string',
        format: 'name',
        description: 'Name must be unique within a namespace.',
        priority: 0,
      },
      ...columns.map((c) => ({
        name: c.name,
        type: c.type,
        format: c.format ?? '',
        description: c.description ?? '',
        priority: c.priority ?? 0,
      })),
    ],
    rows: objects.map((obj) => ({
      cells: [metadataOf(obj)['name'], ...columns.map((c) => cell(obj, c, now))],
      object: rowObject(obj),
    })),
  };
}

export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === 'None' || value === 'Object') return value;
  return 'Metadata';
}

export function listKindFor(
  def: ResourceDef,
  version: string,
): { kind: string; apiVersion: string } {
  return { kind: def.listKind, apiVersion: groupVersion(def.group, version) };
}

export function isTableObject(value: unknown): boolean {
  return isObject(value) && value['kind'] === 'Table';
}
