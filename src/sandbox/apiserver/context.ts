// What the request handlers share: the registry, the store and the clock.
import type { Logger } from '../../logging.js';
import type { ResourceRegistry } from './registry.js';
import type { ObjectStore } from './store.js';
import type { ResourceDef, VersionDef } from './types.js';

export interface ServerContext {
  registry: ResourceRegistry;
  store: ObjectStore;
  now(): Date;
  logger: Logger;
  /** When set, creating a namespaced object in a namespace that does not exist is a 404. */
  requireNamespaces: boolean;
}

/** One request's target: the resource, the version it is addressed in, and the object. */
export interface Target {
  def: ResourceDef;
  version: VersionDef;
  /** '' for cluster-scoped resources and for lists across all namespaces. */
  namespace: string;
  name?: string;
  subresource?: 'status' | 'scale';
}

export interface WriteOptions {
  fieldValidation: 'Ignore' | 'Warn' | 'Strict';
  dryRun: boolean;
}

export interface WriteResult {
  status: number;
  body: unknown;
  warnings: string[];
}
