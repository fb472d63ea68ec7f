// OpenAPI v3 documents for the custom resources (what `kubectl explain` reads).
import type { ResourceRegistry } from './registry.js';
import { ApiStatusError } from './status.js';

// TODO(openapi): serve the CRD schemas as OpenAPI v3; until then kubectl falls back.
export function openApiV3Index(_registry: ResourceRegistry): unknown {
  throw new ApiStatusError(404, 'the server could not find the requested resource', 'NotFound');
}

export function openApiV3Group(_registry: ResourceRegistry, _path: string): unknown {
  return undefined;
}
