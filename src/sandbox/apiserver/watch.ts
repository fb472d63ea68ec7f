// WATCH: newline-delimited JSON events from a resourceVersion, with bookmarks, a timeout and
// 410 Expired for a resourceVersion older than the retained history.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext, Target } from './context.js';
import { toExternal } from './objects.js';
import { labelsOf, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { failureStatus, badRequest } from './status.js';
import type { StoreEvent } from './store.js';
import { groupVersion, isObject, resourceKey, type KubeObject } from './types.js';
import { parseIncludeObject, toTable, wantsTable } from './table.js';
import { selectObjects } from './read.js';

export interface WatchOptions {
  bookmarkIntervalMs: number;
  /** Registered by the server so close() can end open watches. */
  track(end: () => void): () => void;
}

type Outgoing = 'ADDED' | 'MODIFIED' | 'DELETED';

export function serveWatch(
  ctx: ServerContext,
  t: Target,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
  options: WatchOptions,
): void {
  const labels = parseLabelSelector(query.get('labelSelector'));
  const fields = parseFieldSelector(query.get('fieldSelector'), t.def.kind);
  const rvParam = query.get('resourceVersion') ?? '';
  if (rvParam !== '' && !/^\d+$/.test(rvParam))
    throw badRequest(`invalid resource version: "${rvParam}"`);
  const key = resourceKey(t.def);
  const ns = t.def.namespaced && t.namespace !== '' ? t.namespace : undefined;
  const selected = (o: KubeObject): boolean => labels(labelsOf(o)) && fields(o);

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  const asTable = wantsTable(req.headers.accept);
  const include = parseIncludeObject(query.get('includeObject'));
  let columnsSent = false;
  /** With `as=Table` every object travels as a one-row Table; only the first carries columns. */
  const wrap = (type: string, object: unknown): unknown => {
    if (!asTable || type === 'ERROR' || type === 'BOOKMARK' || !isObject(object)) return object;
    const meta = { resourceVersion: String(ctx.store.currentRv()) };
    const table = toTable(t.def, t.version, [object], meta, include, ctx.now());
    if (columnsSent) table['columnDefinitions'] = [];
    columnsSent = true;
    return table;
  };
  const send = (type: string, object: unknown): void => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type, object: wrap(type, object) })}\n`);
  };
  const sendEvent = (e: StoreEvent): void => {
    if (e.resource !== key || (ns !== undefined && e.namespace !== ns)) return;
    const now = selected(e.object);
    const before = e.previous === undefined ? undefined : selected(e.previous);
    let type: Outgoing | undefined;
    if (e.type === 'MODIFIED') {
      if (now) type = before === false ? 'ADDED' : 'MODIFIED';
      else if (before === true) type = 'DELETED';
    } else if (now) type = e.type;
    if (type !== undefined) send(type, toExternal(t.def, t.version.name, e.object));
  };

  let lastRv: number;
  const pending: StoreEvent[] = [];
  let live = false;
  const unsubscribe = ctx.store.subscribe((e) => {
    if (!live) pending.push(e);
    else if (e.rv > lastRv) {
      lastRv = e.rv;
      sendEvent(e);
    }
  });

  let timeout: NodeJS.Timeout | undefined;
  let bookmarks: NodeJS.Timeout | undefined;
  let untrack: () => void = () => undefined;
  const end = (): void => {
    unsubscribe();
    untrack();
    if (timeout) clearTimeout(timeout);
    if (bookmarks) clearInterval(bookmarks);
    if (!res.writableEnded) res.end();
  };
  untrack = options.track(end);
  req.on('close', end);
  res.on('close', end);

  if (rvParam === '' || rvParam === '0') {
    lastRv = ctx.store.currentRv();
    for (const obj of selectObjects(ctx, t, query))
      send('ADDED', toExternal(t.def, t.version.name, obj));
  } else {
    const since = Number(rvParam);
    const replay = ctx.store.eventsSince(key, since);
    if (replay === 'expired') {
      const message = `too old resource version: ${since} (${ctx.store.oldestRetainedRv() + 1})`;
      send('ERROR', failureStatus(410, message, 'Expired'));
      end();
      return;
    }
    lastRv = since;
    for (const e of replay) {
      lastRv = Math.max(lastRv, e.rv);
      sendEvent(e);
    }
  }
  for (const e of pending) {
    if (e.rv > lastRv) {
      lastRv = e.rv;
      sendEvent(e);
    }
  }
  live = true;

  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
  if (Number.isFinite(timeoutSeconds) && timeoutSeconds > 0)
    timeout = setTimeout(end, timeoutSeconds * 1000);
  if (query.get('allowWatchBookmarks') === 'true') {
    bookmarks = setInterval(() => {
      const rv = String(Math.max(lastRv, ctx.store.currentRv()));
      send('BOOKMARK', {
        kind: t.def.kind,
        apiVersion: groupVersion(t.def.group, t.version.name),
        metadata: { resourceVersion: rv },
      });
    }, options.bookmarkIntervalMs);
  }
}
