// Deletion: finalizers and deletionTimestamp, preconditions, propagation (background garbage
// collection of dependents, orphaning), namespaces and CRDs.
import type { ServerContext, Target, WriteOptions, WriteResult } from './context.js';
import { finalizersOf, resourceVersionOf, rfc3339, toExternal, uidOf } from './objects.js';
import { nameOf, namespaceOf } from './store.js';
import { ApiStatusError, badRequest, conflict, successStatus } from './status.js';
import { existingOrNotFound } from './write.js';
import { isObject, metadataOf, resourceKey, type KubeObject, type ResourceDef } from './types.js';

export const PROPAGATION_POLICIES = ['Background', 'Foreground', 'Orphan'] as const;
export type PropagationPolicy = (typeof PROPAGATION_POLICIES)[number];

const PROTECTED_NAMESPACES = ['default', 'kube-system', 'kube-public'];
const CRD_KEY = 'customresourcedefinitions.apiextensions.k8s.io';

function parsePolicy(body: Record<string, unknown>, query: URLSearchParams): PropagationPolicy {
  const raw = body['propagationPolicy'] ?? query.get('propagationPolicy');
  if (raw === undefined || raw === null || raw === '') {
    return body['orphanDependents'] === true || query.get('orphanDependents') === 'true'
      ? 'Orphan'
      : 'Background';
  }
  const found = PROPAGATION_POLICIES.find((p) => p === raw);
  if (found === undefined)
    throw badRequest(
      `propagationPolicy must be one of Background, Foreground, Orphan; got ${JSON.stringify(raw)}`,
    );
  return found;
}

/**
 * DELETE of one object. With finalizers it only gains a deletionTimestamp (and a generation)
 * and is returned; otherwise it is removed and its dependents are collected in the background.
 * NOTE: Foreground propagation is treated as Background (dependents go after the owner).
 */
export function deleteObject(
  ctx: ServerContext,
  t: Target,
  body: unknown,
  query: URLSearchParams,
  opts: WriteOptions,
): WriteResult {
  const options = isObject(body) ? body : {};
  const existing = existingOrNotFound(ctx, t);
  const name = t.name ?? '';
  const pre = isObject(options['preconditions']) ? options['preconditions'] : {};
  if (
    typeof pre['resourceVersion'] === 'string' &&
    pre['resourceVersion'] !== resourceVersionOf(existing)
  ) {
    throw conflict(
      t.def.plural,
      t.def.group,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre['resourceVersion']}, ResourceVersion in object meta: ${resourceVersionOf(existing) ?? ''}`,
    );
  }
  if (typeof pre['uid'] === 'string' && pre['uid'] !== uidOf(existing)) {
    throw conflict(
      t.def.plural,
      t.def.group,
      name,
      `Precondition failed: UID in precondition: ${pre['uid']}, UID in object meta: ${uidOf(existing)}`,
    );
  }
  if (resourceKey(t.def) === 'namespaces' && PROTECTED_NAMESPACES.includes(name)) {
    throw new ApiStatusError(
      403,
      `namespaces "${name}" is forbidden: this namespace may not be deleted`,
      'Forbidden',
      { name, kind: 'namespaces' },
    );
  }
  const policy = parsePolicy(options, query);
  const view = (obj: KubeObject): unknown => toExternal(t.def, t.version.name, obj);
  if (opts.dryRun) return { status: 200, body: view(existing), warnings: [] };
  if (finalizersOf(existing).length > 0) {
    if (metadataOf(existing)['deletionTimestamp'] !== undefined)
      return { status: 200, body: view(existing), warnings: [] };
    const next = structuredClone(existing);
    const meta = metadataOf(next);
    meta['deletionTimestamp'] = rfc3339(ctx.now());
    meta['deletionGracePeriodSeconds'] = 0;
    if (typeof meta['generation'] === 'number') meta['generation'] += 1;
    return { status: 200, body: view(ctx.store.put(resourceKey(t.def), next)), warnings: [] };
  }
  const gone = removeNow(ctx, t.def, existing, policy);
  const returnsObject = !t.def.builtin || t.def.plural === 'namespaces';
  const answer = returnsObject
    ? view(gone)
    : successStatus({ name, group: t.def.group, kind: t.def.plural, uid: uidOf(existing) });
  return { status: 200, body: answer, warnings: [] };
}

/** Removes an object whose deletion started and whose last finalizer is gone; else undefined. */
export function finishIfFinalized(
  ctx: ServerContext,
  def: ResourceDef,
  obj: KubeObject,
): KubeObject | undefined {
  if (metadataOf(obj)['deletionTimestamp'] === undefined || finalizersOf(obj).length > 0)
    return undefined;
  return removeNow(ctx, def, obj, 'Background');
}

function removeNow(
  ctx: ServerContext,
  def: ResourceDef,
  obj: KubeObject,
  policy: PropagationPolicy,
): KubeObject {
  const key = resourceKey(def);
  const gone = ctx.store.remove(key, namespaceOf(obj), nameOf(obj)) ?? obj;
  if (key === CRD_KEY) dropCrdResource(ctx, obj);
  if (key === 'namespaces') deleteNamespaceContents(ctx, nameOf(obj));
  const uid = uidOf(obj);
  if (policy === 'Orphan') orphanDependents(ctx, uid);
  else setImmediate(() => collectDependents(ctx, uid));
  return gone;
}

function dropCrdResource(ctx: ServerContext, crd: KubeObject): void {
  const spec = isObject(crd['spec']) ? crd['spec'] : {};
  const names = isObject(spec['names']) ? spec['names'] : {};
  const key = `${String(names['plural'])}.${String(spec['group'])}`;
  ctx.store.dropResource(key);
  ctx.registry.unregister(key);
}

function deleteNamespaceContents(ctx: ServerContext, namespace: string): void {
  for (const def of ctx.registry.all()) {
    if (!def.namespaced) continue;
    for (const obj of ctx.store.list(resourceKey(def), namespace))
      ctx.store.remove(resourceKey(def), namespace, nameOf(obj));
  }
}

function ownerRefs(obj: KubeObject): Record<string, unknown>[] {
  const refs = metadataOf(obj)['ownerReferences'];
  return Array.isArray(refs) ? refs.filter(isObject) : [];
}

function orphanDependents(ctx: ServerContext, uid: string): void {
  for (const [resource, obj] of [...ctx.store.entries()]) {
    const refs = ownerRefs(obj);
    if (!refs.some((r) => r['uid'] === uid)) continue;
    const next = structuredClone(obj);
    const remaining = refs.filter((r) => r['uid'] !== uid);
    if (remaining.length === 0) delete metadataOf(next)['ownerReferences'];
    else metadataOf(next)['ownerReferences'] = remaining;
    ctx.store.put(resource, next);
  }
}

/** Background garbage collection: dependents whose owners are all gone are deleted. */
export function collectDependents(ctx: ServerContext, uid: string): void {
  const live = new Set<string>();
  for (const [, obj] of ctx.store.entries()) live.add(uidOf(obj));
  for (const [resource, obj] of [...ctx.store.entries()]) {
    const refs = ownerRefs(obj);
    if (!refs.some((r) => r['uid'] === uid)) continue;
    const def = ctx.registry.byKey(resource);
    if (def === undefined) continue;
    if (refs.some((r) => typeof r['uid'] === 'string' && live.has(r['uid']))) {
      orphanOne(ctx, resource, obj, uid);
      continue;
    }
    const version = def.versions[0];
    if (version === undefined) continue;
    const t: Target = { def, version, namespace: namespaceOf(obj), name: nameOf(obj) };
    try {
      deleteObject(ctx, t, {}, new URLSearchParams(), { fieldValidation: 'Ignore', dryRun: false });
    } catch (err) {
      ctx.logger.warn('garbage collection failed', {
        resource,
        name: nameOf(obj),
        error: String(err),
      });
    }
  }
}

function orphanOne(ctx: ServerContext, resource: string, obj: KubeObject, uid: string): void {
  const next = structuredClone(obj);
  metadataOf(next)['ownerReferences'] = ownerRefs(obj).filter((r) => r['uid'] !== uid);
  ctx.store.put(resource, next);
}
