// Maps a request path to the resource it addresses.
import type { Target } from './context.js';
import type { ResourceRegistry } from './registry.js';
import { ApiStatusError } from './status.js';

export interface ParsedPath {
  group: string;
  version: string;
  namespace: string | undefined;
  plural: string;
  name: string | undefined;
  subresource: string | undefined;
}

/** Parses /api/v1/... and /apis/<g>/<v>/...; undefined for anything else. */
export function parseResourcePath(pathname: string): ParsedPath | undefined {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let rest: string[];
  let group: string;
  let version: string | undefined;
  if (parts[0] === 'api') {
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    group = parts[1] ?? '';
    version = parts[2];
    rest = parts.slice(3);
  } else return undefined;
  if (version === undefined || rest.length === 0) return undefined;
  const namespacedForm =
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'));
  const [namespace, plural, name, subresource] = namespacedForm
    ? [rest[1], rest[2], rest[3], rest[4]]
    : [undefined, rest[0], rest[1], rest[2]];
  if (plural === undefined) return undefined;
  return { group, version, namespace, plural, name, subresource };
}

const NO_RESOURCE = 'the server could not find the requested resource';

export function resolveTarget(registry: ResourceRegistry, p: ParsedPath): Target {
  const found = registry.resolve(p.group, p.version, p.plural);
  if (found === undefined) throw new ApiStatusError(404, NO_RESOURCE, 'NotFound');
  const { def, version } = found;
  if (!def.namespaced && p.namespace !== undefined)
    throw new ApiStatusError(404, NO_RESOURCE, 'NotFound');
  const t: Target = { def, version, namespace: def.namespaced ? (p.namespace ?? '') : '' };
  if (p.name !== undefined) t.name = p.name;
  if (p.subresource !== undefined) {
    if (p.subresource === 'status' && def.statusSubresource) t.subresource = 'status';
    else if (p.subresource === 'scale' && def.scale !== undefined) t.subresource = 'scale';
    else throw new ApiStatusError(404, NO_RESOURCE, 'NotFound');
  }
  return t;
}
