// In-memory storage: one global resourceVersion counter, objects per resource, and a bounded
// history of change events that watches replay from.
import { isObject, metadataOf, type KubeObject } from './types.js';

export const EVENT_TYPES = ['ADDED', 'MODIFIED', 'DELETED'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface StoreEvent {
  type: EventType;
  /** The resource key (plural or plural.group). */
  resource: string;
  namespace: string;
  rv: number;
  object: KubeObject;
  /** The object before a MODIFIED change, so selector watches can tell enter from leave. */
  previous?: KubeObject;
}

function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function nameOf(obj: KubeObject): string {
  const n = metadataOf(obj)['name'];
  return typeof n === 'string' ? n : '';
}

export function namespaceOf(obj: KubeObject): string {
  const n = metadataOf(obj)['namespace'];
  return typeof n === 'string' ? n : '';
}

export class ObjectStore {
  private rv = 0;
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  /** Events at or below this resourceVersion are no longer in the history. */
  private compactedRv = 0;
  private readonly listeners = new Set<(e: StoreEvent) => void>();

  constructor(private readonly historyLimit: number) {}

  currentRv(): number {
    return this.rv;
  }

  oldestRetainedRv(): number {
    return this.compactedRv;
  }

  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    return this.data.get(resource)?.get(objectKey(namespace, name));
  }

  /** Objects of one resource sorted by namespace then name; all namespaces when ns is undefined. */
  list(resource: string, namespace?: string): KubeObject[] {
    const all = [...(this.data.get(resource)?.entries() ?? [])]
      .filter(([key]) => namespace === undefined || key.startsWith(`${namespace}/`))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return all.map(([, obj]) => obj);
  }

  /** Every stored object of every resource, for garbage collection scans. */
  *entries(): Generator<[string, KubeObject]> {
    for (const [resource, objects] of this.data) {
      for (const obj of objects.values()) yield [resource, obj];
    }
  }

  /** Stores `obj` with a fresh resourceVersion and emits ADDED or MODIFIED. */
  put(resource: string, obj: KubeObject): KubeObject {
    const namespace = namespaceOf(obj);
    const key = objectKey(namespace, nameOf(obj));
    let objects = this.data.get(resource);
    if (objects === undefined) {
      objects = new Map();
      this.data.set(resource, objects);
    }
    const previous = objects.get(key);
    this.rv += 1;
    metadataOf(obj)['resourceVersion'] = String(this.rv);
    objects.set(key, obj);
    const event: StoreEvent = {
      type: previous ? 'MODIFIED' : 'ADDED',
      resource,
      namespace,
      rv: this.rv,
      object: obj,
    };
    if (previous) event.previous = previous;
    this.emit(event);
    return obj;
  }

  /** Removes an object, emitting DELETED with the deletion's resourceVersion. */
  remove(resource: string, namespace: string, name: string): KubeObject | undefined {
    const objects = this.data.get(resource);
    const key = objectKey(namespace, name);
    const existing = objects?.get(key);
    if (objects === undefined || existing === undefined) return undefined;
    objects.delete(key);
    this.rv += 1;
    const gone = structuredClone(existing);
    metadataOf(gone)['resourceVersion'] = String(this.rv);
    this.emit({ type: 'DELETED', resource, namespace, rv: this.rv, object: gone });
    return gone;
  }

  /** Drops every object of a resource (its CRD was deleted), emitting DELETED for each. */
  dropResource(resource: string): void {
    for (const obj of this.list(resource)) this.remove(resource, namespaceOf(obj), nameOf(obj));
    this.data.delete(resource);
  }

  /** Events for `resource` after `rv`, or 'expired' when part of that range was compacted. */
  eventsSince(resource: string, rv: number): StoreEvent[] | 'expired' {
    if (rv < this.compactedRv) return 'expired';
    return this.history.filter((e) => e.rv > rv && e.resource === resource);
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      const last = dropped[dropped.length - 1];
      if (last !== undefined) this.compactedRv = last.rv;
    }
    for (const listener of [...this.listeners]) listener(event);
  }
}

export function isStoredObject(value: unknown): value is KubeObject {
  return isObject(value) && isObject(value['metadata']);
}
