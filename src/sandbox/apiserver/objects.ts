// Small helpers on stored objects: versions, paths, timestamps.
import { groupVersion, isObject, metadataOf, type KubeObject, type ResourceDef } from './types.js';

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A copy of `obj` as served in `version` (all versions share one storage, no conversion). */
export function toExternal(def: ResourceDef, version: string, obj: KubeObject): KubeObject {
  const copy = structuredClone(obj);
  return { apiVersion: groupVersion(def.group, version), kind: def.kind, ...withoutTypeMeta(copy) };
}

function withoutTypeMeta(obj: KubeObject): KubeObject {
  const rest = { ...obj };
  delete rest['apiVersion'];
  delete rest['kind'];
  return rest;
}

/** Reads `.a.b[0].c` (the JSONPath subset printer columns and scale paths use). */
export function getPath(obj: unknown, path: string): unknown {
  const tokens = pathTokens(path);
  let cur: unknown = obj;
  for (const t of tokens) {
    if (typeof t === 'number') cur = Array.isArray(cur) ? cur[t] : undefined;
    else cur = isObject(cur) ? cur[t] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Writes `value` at a dotted path of object keys, creating maps on the way. */
export function setPath(obj: KubeObject, path: string, value: unknown): void {
  const tokens = pathTokens(path).filter((t): t is string => typeof t === 'string');
  const last = tokens.pop();
  if (last === undefined) return;
  let cur: Record<string, unknown> = obj;
  for (const t of tokens) {
    const next = cur[t];
    if (isObject(next)) cur = next;
    else {
      const fresh: Record<string, unknown> = {};
      cur[t] = fresh;
      cur = fresh;
    }
  }
  cur[last] = value;
}

export function pathTokens(path: string): (string | number)[] {
  const clean = path.replace(/^\{?\$?/, '').replace(/\}$/, '');
  const tokens: (string | number)[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['([^']+)'\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(clean)) !== null) {
    if (m[1] !== undefined) tokens.push(m[1]);
    else if (m[2] !== undefined) tokens.push(Number(m[2]));
    else if (m[3] !== undefined) tokens.push(m[3]);
  }
  return tokens;
}

export function finalizersOf(obj: KubeObject): string[] {
  const f = metadataOf(obj)['finalizers'];
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string') : [];
}

export function uidOf(obj: KubeObject): string {
  const u = metadataOf(obj)['uid'];
  return typeof u === 'string' ? u : '';
}

export function resourceVersionOf(obj: KubeObject): string | undefined {
  const rv = metadataOf(obj)['resourceVersion'];
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

/** Everything but the given top-level keys, for "did the desired state change" comparisons. */
export function without(obj: KubeObject, keys: string[]): KubeObject {
  const copy = { ...obj };
  for (const k of keys) delete copy[k];
  return copy;
}
