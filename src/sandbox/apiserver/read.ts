// GET of one object and LIST with selectors, limit/continue and the Table form.
import type { ServerContext, Target } from './context.js';
import { toExternal } from './objects.js';
import { labelsOf, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { toScale } from './scale.js';
import { ApiStatusError, badRequest } from './status.js';
import { listKindFor, parseIncludeObject, toTable, wantsTable } from './table.js';
import { resourceKey, type KubeObject } from './types.js';
import { existingOrNotFound } from './write.js';
import { nameOf, namespaceOf } from './store.js';

export function getObject(
  ctx: ServerContext,
  t: Target,
  accept: string | undefined,
  query: URLSearchParams,
): unknown {
  const obj = existingOrNotFound(ctx, t);
  if (t.subresource === 'scale') return toScale(t.def, obj);
  const external = toExternal(t.def, t.version.name, obj);
  if (wantsTable(accept)) {
    const meta = { resourceVersion: String(ctx.store.currentRv()) };
    return toTable(
      t.def,
      t.version,
      [external],
      meta,
      parseIncludeObject(query.get('includeObject')),
      ctx.now(),
    );
  }
  return external;
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(raw: string): ContinueToken {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'rv' in parsed && 'start' in parsed) {
      const { rv, start } = parsed;
      if (typeof rv === 'number' && typeof start === 'string') return { rv, start };
    }
  } catch {
    // fall through to the 400 below
  }
  throw badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}

/** Objects of `t` that pass the request's namespace, label and field selectors. */
export function selectObjects(ctx: ServerContext, t: Target, query: URLSearchParams): KubeObject[] {
  const labels = parseLabelSelector(query.get('labelSelector'));
  const fields = parseFieldSelector(query.get('fieldSelector'), t.def.kind);
  const ns = t.def.namespaced && t.namespace !== '' ? t.namespace : undefined;
  return ctx.store.list(resourceKey(t.def), ns).filter((o) => labels(labelsOf(o)) && fields(o));
}

export function listObjects(
  ctx: ServerContext,
  t: Target,
  accept: string | undefined,
  query: URLSearchParams,
): unknown {
  let items = selectObjects(ctx, t, query);
  const meta: Record<string, unknown> = { resourceVersion: String(ctx.store.currentRv()) };
  const cont = query.get('continue');
  if (cont !== null && cont !== '') {
    const token = decodeContinue(cont);
    if (token.rv < ctx.store.oldestRetainedRv()) {
      throw new ApiStatusError(
        410,
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        'Expired',
      );
    }
    meta['resourceVersion'] = String(token.rv);
    items = items.filter((o) => `${namespaceOf(o)}/${nameOf(o)}` > token.start);
  }
  const limitRaw = query.get('limit');
  const limit = limitRaw === null || limitRaw === '' ? 0 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 0)
    throw badRequest(`limit must be a non-negative integer; got "${limitRaw ?? ''}"`);
  if (limit > 0 && items.length > limit) {
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    if (last !== undefined) {
      meta['continue'] = encodeContinue({
        rv: Number(meta['resourceVersion']),
        start: `${namespaceOf(last)}/${nameOf(last)}`,
      });
      meta['remainingItemCount'] = items.length - limit;
    }
    items = page;
  }
  const external = items.map((o) => toExternal(t.def, t.version.name, o));
  if (wantsTable(accept)) {
    return toTable(
      t.def,
      t.version,
      external,
      meta,
      parseIncludeObject(query.get('includeObject')),
      ctx.now(),
    );
  }
  return { ...listKindFor(t.def, t.version.name), metadata: meta, items: external };
}
