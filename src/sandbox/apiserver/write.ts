// Create, update (PUT) and patch, with kube-apiserver's rules for resourceVersion, generation,
// the status and scale subresources, finalizers and CRD registration.
import { randomBytes, randomUUID } from 'node:crypto';
import { admit } from './admission.js';
import type { ServerContext, Target, WriteOptions, WriteResult } from './context.js';
import { establishedStatus, resourceFromCrd, validateCrd } from './crd.js';
import { finishIfFinalized } from './delete.js';
import { aggregateEvent } from './events.js';
import { finalizersOf, resourceVersionOf, rfc3339, toExternal, without } from './objects.js';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  jsonEqual,
  patchTypeOf,
} from './patch.js';
import { fromScale, toScale } from './scale.js';
import {
  ApiStatusError,
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  MODIFIED_MESSAGE,
  notFound,
} from './status.js';
import {
  groupVersion,
  isObject,
  metadataOf,
  resourceKey,
  type KubeObject,
  type ResourceDef,
} from './types.js';

const SERVER_SET_META = [
  'uid',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'generation',
];

function storageApiVersion(def: ResourceDef): string {
  return groupVersion(def.group, def.versions[0]?.name ?? 'v1');
}

function checkTypeMeta(t: Target, body: KubeObject): void {
  const want = groupVersion(t.def.group, t.version.name);
  const apiVersion = body['apiVersion'];
  if (apiVersion !== undefined && apiVersion !== want) {
    throw badRequest(
      `the API version in the data (${String(apiVersion)}) does not match the expected API version (${want})`,
    );
  }
  const kind = body['kind'];
  if (kind !== undefined && kind !== t.def.kind) {
    throw badRequest(
      `the kind in the data (${String(kind)}) does not match the expected kind (${t.def.kind})`,
    );
  }
}

export function existingOrNotFound(ctx: ServerContext, t: Target): KubeObject {
  const name = t.name ?? '';
  const existing = ctx.store.get(resourceKey(t.def), t.namespace, name);
  if (existing === undefined) throw notFound(t.def.plural, t.def.group, name);
  return existing;
}

function generationChanged(def: ResourceDef, before: KubeObject, after: KubeObject): boolean {
  switch (def.generation) {
    case 'none':
      return false;
    case 'spec':
      return !jsonEqual(before['spec'], after['spec']);
    case 'nonMetadata': {
      const skip = def.statusSubresource
        ? ['metadata', 'status', 'apiVersion', 'kind']
        : ['metadata', 'apiVersion', 'kind'];
      return !jsonEqual(without(before, skip), without(after, skip));
    }
    default: {
      const never: never = def.generation;
      return never;
    }
  }
}

export function createObject(
  ctx: ServerContext,
  t: Target,
  body: unknown,
  opts: WriteOptions,
): WriteResult {
  if (!isObject(body)) throw badRequest('the body of the request must be a JSON object');
  checkTypeMeta(t, body);
  const obj: KubeObject = {
    ...structuredClone(body),
    apiVersion: storageApiVersion(t.def),
    kind: t.def.kind,
  };
  const meta = metadataOf(obj);
  if (t.def.namespaced) {
    if (
      meta['namespace'] !== undefined &&
      meta['namespace'] !== '' &&
      meta['namespace'] !== t.namespace
    ) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    meta['namespace'] = t.namespace;
    if (ctx.requireNamespaces && ctx.store.get('namespaces', '', t.namespace) === undefined) {
      throw notFound('namespaces', '', t.namespace);
    }
  } else delete meta['namespace'];
  if (
    (meta['name'] === undefined || meta['name'] === '') &&
    typeof meta['generateName'] === 'string'
  ) {
    meta['name'] = `${meta['generateName']}${randomBytes(4).toString('hex').slice(0, 5)}`;
  }
  for (const key of [...SERVER_SET_META, 'resourceVersion', 'managedFields']) delete meta[key];
  meta['uid'] = randomUUID();
  meta['creationTimestamp'] = rfc3339(ctx.now());
  if (t.def.generation !== 'none') meta['generation'] = 1;
  if (t.def.statusSubresource && t.def.plural !== 'namespaces') delete obj['status'];
  const { warnings } = admit(t.def, t.version, obj, opts.fieldValidation);
  const key = resourceKey(t.def);
  const name = String(meta['name']);
  if (t.def.kind === 'Event') {
    const aggregated = aggregateEvent(ctx, t, obj);
    if (aggregated !== undefined)
      return { status: 201, body: toExternal(t.def, t.version.name, aggregated), warnings };
  }
  if (ctx.store.get(key, t.namespace, name) !== undefined)
    throw alreadyExists(t.def.plural, t.def.group, name);
  if (key === 'customresourcedefinitions.apiextensions.k8s.io') prepareCrd(ctx, obj);
  if (opts.dryRun) return { status: 201, body: toExternal(t.def, t.version.name, obj), warnings };
  const stored = ctx.store.put(key, obj);
  if (key === 'customresourcedefinitions.apiextensions.k8s.io')
    ctx.registry.register(resourceFromCrd(stored));
  return { status: 201, body: toExternal(t.def, t.version.name, stored), warnings };
}

function prepareCrd(ctx: ServerContext, crd: KubeObject): void {
  const causes = validateCrd(crd);
  const name = String(metadataOf(crd)['name'] ?? '');
  if (causes.length > 0)
    throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', name, causes);
  crd['status'] = establishedStatus(crd, rfc3339(ctx.now()));
}

export function updateObject(
  ctx: ServerContext,
  t: Target,
  body: unknown,
  opts: WriteOptions,
): WriteResult {
  const existing = existingOrNotFound(ctx, t);
  if (!isObject(body)) throw badRequest('the body of the request must be a JSON object');
  if (t.subresource === 'scale')
    return commit(ctx, t, existing, fromScale(t.def, existing, body), opts);
  checkTypeMeta(t, body);
  return commit(ctx, t, existing, body, opts);
}

export function patchObject(
  ctx: ServerContext,
  t: Target,
  raw: string,
  contentType: string | undefined,
  opts: WriteOptions,
): WriteResult {
  const type = patchTypeOf(contentType);
  if (type === undefined || type === 'apply' || (type === 'strategic' && !t.def.builtin)) {
    const accepted = t.def.builtin
      ? 'application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json'
      : 'application/json-patch+json, application/merge-patch+json';
    const why =
      type === 'apply' ? 'server-side apply is not implemented by the sandbox API server; ' : '';
    throw new ApiStatusError(
      415,
      `${why}the body of the request was in an unknown format - accepted media types include: ${accepted}`,
      'UnsupportedMediaType',
    );
  }
  let patch: unknown;
  try {
    patch = JSON.parse(raw);
  } catch (err) {
    throw badRequest(
      `couldn't decode the ${contentType ?? ''} patch: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const existing = existingOrNotFound(ctx, t);
  const current =
    t.subresource === 'scale'
      ? toScale(t.def, existing)
      : toExternal(t.def, t.version.name, existing);
  let patched: unknown;
  switch (type) {
    case 'json':
      patched = applyJsonPatch(current, patch);
      break;
    case 'merge':
      if (!isObject(patch)) throw badRequest('a merge patch must be a JSON object');
      patched = applyMergePatch(current, patch);
      break;
    case 'strategic':
      if (!isObject(patch)) throw badRequest('a strategic merge patch must be a JSON object');
      patched = applyStrategicMergePatch(current, patch);
      break;
    default: {
      const never: never = type;
      throw badRequest(`unsupported patch type ${String(never)}`);
    }
  }
  if (!isObject(patched))
    throw new ApiStatusError(422, 'the patched object is not a JSON object', 'Invalid');
  const next = t.subresource === 'scale' ? fromScale(t.def, existing, patched) : patched;
  return commit(ctx, t, existing, next, opts);
}

/** Applies an incoming full object (from PUT or a patch) on top of `existing` and stores it. */
function commit(
  ctx: ServerContext,
  t: Target,
  existing: KubeObject,
  incoming: KubeObject,
  opts: WriteOptions,
): WriteResult {
  const name = t.name ?? '';
  const inMeta = isObject(incoming['metadata']) ? incoming['metadata'] : {};
  const rv = resourceVersionOf(incoming);
  if (rv !== undefined && rv !== resourceVersionOf(existing))
    throw conflict(t.def.plural, t.def.group, name, MODIFIED_MESSAGE);
  if (inMeta['name'] !== undefined && inMeta['name'] !== name) {
    throw badRequest(
      `the name of the object (${String(inMeta['name'])}) does not match the name on the URL (${name})`,
    );
  }
  if (
    t.def.namespaced &&
    inMeta['namespace'] !== undefined &&
    inMeta['namespace'] !== t.namespace
  ) {
    throw badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  const next =
    t.subresource === 'status'
      ? statusOnly(existing, incoming)
      : mainOnly(t.def, existing, incoming);
  checkFinalizers(t, existing, next);
  const { warnings } = admit(t.def, t.version, next, opts.fieldValidation);
  const oldGen = metadataOf(existing)['generation'];
  if (typeof oldGen === 'number') {
    metadataOf(next)['generation'] = generationChanged(t.def, existing, next) ? oldGen + 1 : oldGen;
  }
  const key = resourceKey(t.def);
  if (key === 'customresourcedefinitions.apiextensions.k8s.io') prepareCrd(ctx, next);
  const unchanged =
    jsonEqual(without(next, ['metadata']), without(existing, ['metadata'])) &&
    jsonEqual(
      without(metadataOf(next), ['resourceVersion', 'managedFields']),
      without(metadataOf(existing), ['resourceVersion', 'managedFields']),
    );
  const answer = (obj: KubeObject): WriteResult => ({
    status: 200,
    body: t.subresource === 'scale' ? toScale(t.def, obj) : toExternal(t.def, t.version.name, obj),
    warnings,
  });
  if (unchanged || opts.dryRun) return answer(unchanged ? existing : next);
  const stored = ctx.store.put(key, next);
  if (key === 'customresourcedefinitions.apiextensions.k8s.io')
    ctx.registry.register(resourceFromCrd(stored));
  return answer(finishIfFinalized(ctx, t.def, stored) ?? stored);
}

function statusOnly(existing: KubeObject, incoming: KubeObject): KubeObject {
  const next = structuredClone(existing);
  if (incoming['status'] === undefined) delete next['status'];
  else next['status'] = structuredClone(incoming['status']);
  return next;
}

function mainOnly(def: ResourceDef, existing: KubeObject, incoming: KubeObject): KubeObject {
  const next: KubeObject = {
    ...structuredClone(incoming),
    apiVersion: storageApiVersion(def),
    kind: def.kind,
  };
  const meta = { ...metadataOf(next) };
  next['metadata'] = meta;
  const old = metadataOf(existing);
  for (const key of [...SERVER_SET_META, 'name', 'namespace']) {
    if (old[key] === undefined) delete meta[key];
    else meta[key] = structuredClone(old[key]);
  }
  if (def.statusSubresource) {
    if (existing['status'] === undefined) delete next['status'];
    else next['status'] = structuredClone(existing['status']);
  }
  return next;
}

function checkFinalizers(t: Target, existing: KubeObject, next: KubeObject): void {
  if (metadataOf(existing)['deletionTimestamp'] === undefined) return;
  const before = new Set(finalizersOf(existing));
  const added = finalizersOf(next).filter((f) => !before.has(f));
  if (added.length === 0) return;
  throw invalid(t.def.kind, t.def.group, t.name ?? '', [
    {
      reason: 'FieldValueForbidden',
      message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
      field: 'metadata.finalizers',
    },
  ]);
}
