import { randomBytes } from 'node:crypto';
import { ResourceNotFoundError, errorMessage } from '../../domain/errors.js';
import type { Logger } from '../../logging.js';
import type { KubeClients } from './client.js';
import { RESOURCE_TYPES } from './resource-types.js';

export const EVENT_TYPES = ['Normal', 'Warning'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The object an Event is about (core v1 `involvedObject`). */
export interface EventObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string | undefined;
  name: string;
  uid?: string | undefined;
}

export interface EventRecorder {
  /**
   * Records a core v1 Event. A repeat (same object, type, reason and message) raises the
   * existing Event's count and lastTimestamp instead of creating another. Never throws: a
   * failure is logged and the event dropped, so recording can never block a rollout.
   */
  record(obj: EventObjectRef, type: EventType, reason: string, message: string): Promise<void>;
}

export interface EventRecorderOptions {
  /** `source.component` and `reportingComponent`. Default "sluice-controller". */
  component?: string;
  /** `reportingInstance`, e.g. the pod name. */
  instance?: string;
  logger?: Logger | undefined;
  /** Aggregation entries kept; the oldest go first. Default 1000. */
  maxCacheEntries?: number;
  timeoutMs?: number;
  now?: () => Date;
}

interface Aggregate {
  namespace: string;
  eventName: string;
  count: number;
}

/** Namespace for Events about cluster-scoped objects, as kube-apiserver components do. */
const CLUSTER_EVENT_NAMESPACE = 'default';
const MAX_MESSAGE = 1024;

export class KubeEventRecorder implements EventRecorder {
  private readonly clients: KubeClients;
  private readonly opts: Required<Omit<EventRecorderOptions, 'logger' | 'instance'>> &
    Pick<EventRecorderOptions, 'logger' | 'instance'>;
  private readonly cache = new Map<string, Aggregate>();
  /** Records for the same key run one after another, so two repeats never create two Events. */
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(clients: KubeClients, options: EventRecorderOptions = {}) {
    this.clients = clients;
    this.opts = {
      component: options.component ?? 'sluice-controller',
      instance: options.instance,
      logger: options.logger,
      maxCacheEntries: options.maxCacheEntries ?? 1000,
      timeoutMs: options.timeoutMs ?? clients.timeoutMs,
      now: options.now ?? (() => new Date()),
    };
  }

  record(obj: EventObjectRef, type: EventType, reason: string, message: string): Promise<void> {
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
    const key = JSON.stringify([obj.namespace, obj.kind, obj.name, obj.uid, type, reason, text]);
    const previous = this.inflight.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.recordNow(key, obj, type, reason, text));
    this.inflight.set(key, next);
    void next.finally(() => {
      if (this.inflight.get(key) === next) this.inflight.delete(key);
    });
    return next;
  }

  /** Entries held for aggregation (for tests and metrics). */
  cacheSize(): number {
    return this.cache.size;
  }

  private async recordNow(
    key: string,
    obj: EventObjectRef,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const now = this.opts.now();
    try {
      const seen = this.cache.get(key);
      if (seen) {
        try {
          await this.clients.patchMerge(
            { type: RESOURCE_TYPES.event, namespace: seen.namespace, name: seen.eventName },
            { count: seen.count + 1, lastTimestamp: now.toISOString() },
            { timeoutMs: this.opts.timeoutMs },
          );
          seen.count += 1;
          this.touch(key, seen);
          return;
        } catch (err) {
          // The Event may have expired on the server (their TTL is about an hour): start anew.
          if (!(err instanceof ResourceNotFoundError)) throw err;
          this.cache.delete(key);
        }
      }
      const created = await this.create(obj, type, reason, message, now);
      this.touch(key, created);
    } catch (err) {
      this.opts.logger?.warn('event dropped', {
        kind: obj.kind,
        namespace: obj.namespace,
        name: obj.name,
        reason,
        error: errorMessage(err),
      });
    }
  }

  private async create(
    obj: EventObjectRef,
    type: EventType,
    reason: string,
    message: string,
    now: Date,
  ): Promise<Aggregate> {
    const namespace = obj.namespace || CLUSTER_EVENT_NAMESPACE;
    // kube-style name: the object's name and a unique suffix.
    const eventName = `${obj.name}.${now.getTime().toString(16)}${randomBytes(3).toString('hex')}`;
    const involvedObject: Record<string, string> = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.name,
    };
    if (obj.namespace) involvedObject.namespace = obj.namespace;
    if (obj.uid) involvedObject.uid = obj.uid;
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: eventName, namespace },
      involvedObject,
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: this.opts.component },
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.instance ?? '',
    };
    await this.clients.call(
      { verb: 'create', kind: 'Event', namespace, name: eventName },
      (o) => this.clients.core.createNamespacedEvent({ namespace, body }, o),
      { timeoutMs: this.opts.timeoutMs },
    );
    return { namespace, eventName, count: 1 };
  }

  private touch(key: string, entry: Aggregate): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    while (this.cache.size > this.opts.maxCacheEntries) {
      const oldest = this.cache.keys().next();
      if (oldest.done) break;
      this.cache.delete(oldest.value);
    }
  }
}
