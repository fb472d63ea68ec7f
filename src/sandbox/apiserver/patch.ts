// The three patch formats the sandbox accepts: RFC 6902 JSON patch, RFC 7386 merge patch and a
// simple strategic merge patch for built-in types.
import { ApiStatusError, badRequest } from './status.js';
import { isObject } from './types.js';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;
export type PatchType = keyof typeof PATCH_TYPES;

export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const base = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  for (const [type, media] of Object.entries(PATCH_TYPES)) {
    if (media === base) return type as PatchType;
  }
  return undefined;
}

interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

function parseOps(patch: unknown): JsonPatchOp[] {
  if (!Array.isArray(patch)) throw badRequest('json patch must be a JSON array of operations');
  return patch.map((raw, i) => {
    if (!isObject(raw) || typeof raw['op'] !== 'string' || !OPS.has(raw['op'])) {
      throw badRequest(`json patch operation ${i} has no valid "op"`);
    }
    if (typeof raw['path'] !== 'string')
      throw badRequest(`json patch operation ${i} has no "path"`);
    const op = raw as unknown as JsonPatchOp;
    if ((op.op === 'move' || op.op === 'copy') && typeof op.from !== 'string') {
      throw badRequest(`json patch operation ${i} (${op.op}) has no "from"`);
    }
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in raw)) {
      throw badRequest(`json patch operation ${i} (${op.op}) has no "value"`);
    }
    return op;
  });
}

function unprocessable(message: string): ApiStatusError {
  return new ApiStatusError(422, message, 'Invalid');
}

function splitPointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw badRequest(`json patch path "${pointer}" must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

/** Returns the container holding the last token of `pointer`, and that token. */
function locate(doc: unknown, pointer: string): { parent: Container; key: string } {
  const tokens = splitPointer(pointer);
  const key = tokens.pop();
  if (key === undefined) throw unprocessable('json patch cannot operate on the whole document');
  let cur: unknown = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw unprocessable(`jsonpatch: path "${pointer}" does not exist`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) {
    throw unprocessable(`jsonpatch: path "${pointer}" does not exist`);
  }
  return { parent: cur, key };
}

function arrayIndex(arr: unknown[], key: string, pointer: string, forAdd: boolean): number {
  if (forAdd && key === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(key))
    throw unprocessable(`jsonpatch: bad array index in "${pointer}"`);
  const idx = Number(key);
  if (idx > arr.length || (!forAdd && idx === arr.length)) {
    throw unprocessable(`jsonpatch: array index out of range in "${pointer}"`);
  }
  return idx;
}

function getAt(doc: unknown, pointer: string): unknown {
  const { parent, key } = locate(doc, pointer);
  const value = Array.isArray(parent)
    ? parent[arrayIndex(parent, key, pointer, false)]
    : parent[key];
  if (value === undefined) throw unprocessable(`jsonpatch: path "${pointer}" does not exist`);
  return value;
}

function removeAt(doc: unknown, pointer: string): unknown {
  const { parent, key } = locate(doc, pointer);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, pointer, false), 1)[0];
  if (!(key in parent)) throw unprocessable(`jsonpatch: path "${pointer}" does not exist`);
  const old = parent[key];
  delete parent[key];
  return old;
}

function addAt(doc: unknown, pointer: string, value: unknown): void {
  const { parent, key } = locate(doc, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, pointer, true), 0, value);
  else parent[key] = value;
}

/** Applies RFC 6902 operations to a copy of `doc`. A failed `test` or missing path is 422. */
export function applyJsonPatch<T>(doc: T, patch: unknown): T {
  const ops = parseOps(patch);
  const out = structuredClone(doc);
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        addAt(out, op.path, structuredClone(op.value));
        break;
      case 'remove':
        removeAt(out, op.path);
        break;
      case 'replace':
        getAt(out, op.path);
        removeAt(out, op.path);
        addAt(out, op.path, structuredClone(op.value));
        break;
      case 'move': {
        const moved = removeAt(out, op.from ?? '');
        addAt(out, op.path, moved);
        break;
      }
      case 'copy':
        addAt(out, op.path, structuredClone(getAt(out, op.from ?? '')));
        break;
      case 'test': {
        const actual = getAt(out, op.path);
        if (!jsonEqual(actual, op.value)) {
          throw unprocessable(
            `the server rejected our request due to an error in our request: testing value ${op.path} failed`,
          );
        }
        break;
      }
      default: {
        const never: never = op.op;
        throw badRequest(`unknown json patch op ${String(never)}`);
      }
    }
  }
  return out;
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}

/** RFC 7386: objects merge recursively, `null` deletes a key, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

/** Lists of objects merged by key in built-in types (containers, env, ports, volumes...). */
function mergeKeyFor(field: string, items: unknown[]): string | undefined {
  const sample = items.find(isObject);
  if (sample === undefined) return undefined;
  if (field === 'ports') {
    if ('containerPort' in sample) return 'containerPort';
    if ('port' in sample) return 'port';
  }
  if (field === 'conditions' && 'type' in sample) return 'type';
  if (field === 'ownerReferences' && 'uid' in sample) return 'uid';
  if ('name' in sample) return 'name';
  return undefined;
}

/**
 * Strategic merge patch, simplified: maps merge, `null` deletes, lists of objects with a merge
 * key (name, containerPort/port, type, uid) merge by that key and honour `$patch: delete`,
 * `finalizers` merge as a set, other lists are replaced whole.
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown, field = ''): unknown {
  if (Array.isArray(patch)) return mergeList(target, patch, field);
  if (!isObject(patch)) return structuredClone(patch);
  if (patch['$patch'] === 'replace') {
    const copy = structuredClone(patch);
    delete copy['$patch'];
    return copy;
  }
  const out: Record<string, unknown> = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) delete out[key];
    else out[key] = applyStrategicMergePatch(out[key], value, key);
  }
  return out;
}

function mergeList(target: unknown, patch: unknown[], field: string): unknown[] {
  const current = Array.isArray(target) ? structuredClone(target) : [];
  if (field === 'finalizers') {
    return [...current, ...patch.filter((p) => !current.includes(p))];
  }
  const key = mergeKeyFor(field, [...patch, ...current]);
  if (key === undefined) return structuredClone(patch);
  const out = current;
  for (const item of patch) {
    if (!isObject(item)) continue;
    const idx = out.findIndex((c) => isObject(c) && jsonEqual(c[key], item[key]));
    if (item['$patch'] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) {
      out[idx] = applyStrategicMergePatch(out[idx], item, '');
    } else {
      out.push(applyStrategicMergePatch(undefined, item, ''));
    }
  }
  return out;
}
