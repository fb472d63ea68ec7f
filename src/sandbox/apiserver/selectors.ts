// Label selectors (=, ==, !=, in, notin, exists, !exists) and the field selectors the sandbox
// supports (metadata.name, metadata.namespace, and a few event fields).
import { badRequest } from './status.js';
import { isObject, type KubeObject } from './types.js';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type Selector = (labels: Record<string, string>) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTerms(expr: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of expr) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      terms.push(cur);
      cur = '';
    } else cur += ch;
  }
  terms.push(cur);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function parseRequirement(term: string): Requirement {
  const setMatch = /^([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (setMatch) {
    const [, key = '', op, list = ''] = setMatch;
    const values = list
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    return { op: op === 'in' ? 'in' : 'notin', key, values };
  }
  const eqMatch = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(term);
  if (eqMatch) {
    const [, key = '', op, value = ''] = eqMatch;
    return { op: op === '!=' ? 'neq' : 'eq', key, value };
  }
  const existsMatch = /^(!?)([^\s!=(),]+)$/.exec(term);
  if (existsMatch) {
    const [, bang, key = ''] = existsMatch;
    return { op: bang === '!' ? 'notexists' : 'exists', key };
  }
  throw badRequest(`unable to parse requirement: "${term}"`);
}

function matches(req: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case 'eq':
      return has && value === req.value;
    case 'neq':
      return !has || value !== req.value;
    case 'in':
      return has && req.values.includes(value ?? '');
    case 'notin':
      return !has || !req.values.includes(value ?? '');
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    default: {
      const never: never = req;
      return never;
    }
  }
}

export function parseLabelSelector(expr: string | null | undefined): Selector {
  const reqs = splitTerms(expr ?? '').map(parseRequirement);
  return (labels) => reqs.every((r) => matches(r, labels));
}

/** Turns a LabelSelector object ({matchLabels, matchExpressions}) into the string form. */
export function selectorToString(selector: unknown): string {
  if (!isObject(selector)) return '';
  const parts: string[] = [];
  const ml = selector['matchLabels'];
  if (isObject(ml)) for (const [k, v] of Object.entries(ml)) parts.push(`${k}=${String(v)}`);
  const me = selector['matchExpressions'];
  if (Array.isArray(me)) {
    for (const e of me) {
      if (!isObject(e)) continue;
      const key = String(e['key']);
      const values = Array.isArray(e['values']) ? e['values'].map(String) : [];
      switch (e['operator']) {
        case 'In':
          parts.push(`${key} in (${values.join(',')})`);
          break;
        case 'NotIn':
          parts.push(`${key} notin (${values.join(',')})`);
          break;
        case 'Exists':
          parts.push(key);
          break;
        case 'DoesNotExist':
          parts.push(`!${key}`);
          break;
        default:
          break;
      }
    }
  }
  return parts.join(',');
}

export function labelsOf(obj: KubeObject): Record<string, string> {
  const meta = obj['metadata'];
  const labels = isObject(meta) ? meta['labels'] : undefined;
  const out: Record<string, string> = {};
  if (isObject(labels)) for (const [k, v] of Object.entries(labels)) out[k] = String(v);
  return out;
}

const FIELD_GETTERS: Record<string, (obj: KubeObject) => unknown> = {
  'metadata.name': (o) => (isObject(o['metadata']) ? o['metadata']['name'] : undefined),
  'metadata.namespace': (o) => (isObject(o['metadata']) ? o['metadata']['namespace'] : undefined),
};

/** The Event fields kube-apiserver can select on (core v1 and events.k8s.io/v1 names). */
const EVENT_FIELDS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'regarding.kind',
  'regarding.namespace',
  'regarding.name',
  'regarding.uid',
  'reason',
  'reportingController',
  'source',
  'type',
];

function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const part of path.split('.')) cur = isObject(cur) ? cur[part] : undefined;
  // NOTE: `source` selects on source.component, as kube-apiserver's event field set does.
  if (path === 'source' && isObject(obj)) return getPath(obj, 'source.component');
  return cur;
}

export type FieldSelector = (obj: KubeObject) => boolean;

/** `metadata.name=x,metadata.namespace!=y`; other fields answer 400 as kube-apiserver does. */
export function parseFieldSelector(expr: string | null | undefined, kind: string): FieldSelector {
  const terms = splitTerms(expr ?? '').map((term) => {
    const m = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid field selector: "${term}"`);
    const [, field = '', op, value = ''] = m;
    const getter =
      FIELD_GETTERS[field] ??
      (kind === 'Event' && EVENT_FIELDS.includes(field)
        ? (o: KubeObject) => getPath(o, field)
        : undefined);
    if (getter === undefined) {
      throw badRequest(`field label not supported: ${field}`);
    }
    const negate = op === '!=';
    return (obj: KubeObject) => (String(getter(obj) ?? '') === value) !== negate;
  });
  return (obj) => terms.every((t) => t(obj));
}
