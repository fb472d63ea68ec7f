// Event aggregation: a repeat of an Event about the same object, reason and message increments
// the stored Event's count instead of storing another object.
import type { ServerContext, Target } from './context.js';
import { rfc3339 } from './objects.js';
import { isObject, resourceKey, type KubeObject } from './types.js';

function aggregationKey(obj: KubeObject, coreGroup: boolean): string {
  const ref = coreGroup ? obj['involvedObject'] : obj['regarding'];
  const r = isObject(ref) ? ref : {};
  const parts = [
    r['kind'],
    r['namespace'],
    r['name'],
    r['uid'],
    r['fieldPath'],
    obj['type'],
    obj['reason'],
    coreGroup ? obj['message'] : obj['note'],
  ];
  return JSON.stringify(parts.map((p) => (p === undefined ? '' : p)));
}

function microTime(date: Date): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

/** Returns the updated existing Event when `incoming` repeats one, else undefined. */
export function aggregateEvent(
  ctx: ServerContext,
  t: Target,
  incoming: KubeObject,
): KubeObject | undefined {
  const core = t.def.group === '';
  const key = aggregationKey(incoming, core);
  const resource = resourceKey(t.def);
  const match = ctx.store.list(resource, t.namespace).find((e) => aggregationKey(e, core) === key);
  if (match === undefined) return undefined;
  const next = structuredClone(match);
  const now = ctx.now();
  if (core) {
    const count = typeof next['count'] === 'number' ? next['count'] : 1;
    next['count'] = count + (typeof incoming['count'] === 'number' ? incoming['count'] : 1);
    next['lastTimestamp'] = incoming['lastTimestamp'] ?? rfc3339(now);
  } else {
    const series = isObject(next['series']) ? next['series'] : {};
    const count = typeof series['count'] === 'number' ? series['count'] : 1;
    next['series'] = { count: count + 1, lastObservedTime: microTime(now) };
  }
  return ctx.store.put(resource, next);
}
