import { ResourceConflictError, ResourceNotFoundError, errorMessage } from '../../domain/errors.js';
import type { Logger } from '../../logging.js';
import type { KubeClients } from './client.js';
import { RESOURCE_TYPES } from './resource-types.js';

// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: every write is a PUT
// guarded by the resourceVersion just read, so of two candidates at most one update succeeds.
// A follower judges the holder's lease expired by its own clock (time since it last saw the
// record change), never by comparing renewTime with its clock, so clock skew cannot split it.

export interface LeaderElection {
  /** Starts trying to acquire, then renewing. Returns at once. */
  start(): void;
  isLeader(): boolean;
  /** Called with true on acquiring, false on losing or releasing. Returns an unsubscribe. */
  onChange(cb: (leader: boolean) => void): () => void;
  /** Stops, and releases the lease if held so another replica takes over at once. */
  stop(): Promise<void>;
}

export interface LeaderElectorOptions {
  namespace: string;
  name: string;
  /** Unique per replica, e.g. the pod name. */
  identity: string;
  /** Default 15. */
  leaseDurationSeconds?: number;
  /** A leader that has not renewed for this long steps down. Default 2/3 of the duration. */
  renewDeadlineMs?: number;
  /** Time between attempts. Default 2 s (leaders renew at this pace). */
  retryPeriodMs?: number;
  logger?: Logger | undefined;
  /** Per-request deadline. Default min(retryPeriod, clients.timeoutMs). */
  timeoutMs?: number;
}

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** RFC 3339 with microseconds, as MicroTime is written: 2026-12-04T15:43:45.123000Z. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector implements LeaderElection {
  private readonly clients: KubeClients;
  private readonly o: Required<Omit<LeaderElectorOptions, 'logger'>> & { logger?: Logger };
  private leader = false;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly listeners = new Set<(leader: boolean) => void>();
  /** The last record seen and when (our clock) it last changed. */
  private observed: { key: string; at: number } | undefined;
  private lastRenew = 0;

  constructor(clients: KubeClients, options: LeaderElectorOptions) {
    this.clients = clients;
    const leaseDurationSeconds = options.leaseDurationSeconds ?? 15;
    const retryPeriodMs = options.retryPeriodMs ?? 2000;
    this.o = {
      ...options,
      leaseDurationSeconds,
      renewDeadlineMs: options.renewDeadlineMs ?? (leaseDurationSeconds * 1000 * 2) / 3,
      retryPeriodMs,
      timeoutMs: options.timeoutMs ?? Math.min(retryPeriodMs, clients.timeoutMs),
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  isLeader(): boolean {
    return this.leader;
  }

  onChange(cb: (leader: boolean) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    if (this.leader) {
      await this.release();
      this.setLeader(false);
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const won = await this.tryAcquireOrRenew();
        if (!this.running) break;
        if (won) this.lastRenew = Date.now();
        if (won) this.setLeader(true);
        else if (this.leader) this.setLeader(false);
      } catch (err) {
        this.o.logger?.warn('lease attempt failed', {
          lease: `${this.o.namespace}/${this.o.name}`,
          identity: this.o.identity,
          error: errorMessage(err),
        });
      }
      if (this.leader && Date.now() - this.lastRenew > this.o.renewDeadlineMs) {
        this.o.logger?.warn('lease not renewed within the deadline; stepping down', {
          lease: `${this.o.namespace}/${this.o.name}`,
          identity: this.o.identity,
        });
        this.setLeader(false);
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.o.retryPeriodMs);
      });
    }
  }

  private setLeader(value: boolean): void {
    if (this.leader === value) return;
    this.leader = value;
    this.o.logger?.info(value ? 'became leader' : 'lost leadership', {
      lease: `${this.o.namespace}/${this.o.name}`,
      identity: this.o.identity,
    });
    for (const cb of [...this.listeners]) {
      try {
        cb(value);
      } catch (err) {
        this.o.logger?.error('leadership listener failed', { error: errorMessage(err) });
      }
    }
  }

  /** One round: true when we hold the lease after it. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    let current: LeaseObject;
    try {
      current = await this.get();
    } catch (err) {
      if (!(err instanceof ResourceNotFoundError)) throw err;
      return this.create(now);
    }
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const recordKey = JSON.stringify([holder, spec.renewTime, current.metadata.resourceVersion]);
    if (this.observed?.key !== recordKey) this.observed = { key: recordKey, at: now.getTime() };
    const durationMs = (spec.leaseDurationSeconds ?? this.o.leaseDurationSeconds) * 1000;
    const expired = now.getTime() - this.observed.at >= durationMs;
    const mine = holder === this.o.identity;
    if (holder !== '' && !mine && !expired) return false;

    const next: LeaseSpec = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: this.o.leaseDurationSeconds,
      acquireTime: mine ? (spec.acquireTime ?? microTime(now)) : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
    };
    return this.replace(current, next);
  }

  private async release(): Promise<void> {
    try {
      const current = await this.get();
      if (current.spec?.holderIdentity !== this.o.identity) return;
      await this.replace(current, {
        ...current.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        renewTime: microTime(new Date()),
      });
    } catch (err) {
      this.o.logger?.warn('lease release failed', { error: errorMessage(err) });
    }
  }

  private gvp() {
    const t = RESOURCE_TYPES.lease;
    return { group: t.group, version: t.version, plural: t.plural, namespace: this.o.namespace };
  }

  private async get(): Promise<LeaseObject> {
    const raw: unknown = await this.clients.call(
      { verb: 'get', kind: 'Lease', namespace: this.o.namespace, name: this.o.name },
      (o) => this.clients.custom.getNamespacedCustomObject({ ...this.gvp(), name: this.o.name }, o),
      { timeoutMs: this.o.timeoutMs },
    );
    return raw as LeaseObject;
  }

  private async create(now: Date): Promise<boolean> {
    const body: LeaseObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.o.name, namespace: this.o.namespace },
      spec: {
        holderIdentity: this.o.identity,
        leaseDurationSeconds: this.o.leaseDurationSeconds,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      },
    };
    try {
      await this.clients.call(
        { verb: 'create', kind: 'Lease', namespace: this.o.namespace, name: this.o.name },
        (o) => this.clients.custom.createNamespacedCustomObject({ ...this.gvp(), body }, o),
        { timeoutMs: this.o.timeoutMs },
      );
      return true;
    } catch (err) {
      if (err instanceof ResourceConflictError) return false;
      throw err;
    }
  }

  private async replace(current: LeaseObject, spec: LeaseSpec): Promise<boolean> {
    const body: LeaseObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...current.metadata },
      spec,
    };
    try {
      await this.clients.call(
        { verb: 'update', kind: 'Lease', namespace: this.o.namespace, name: this.o.name },
        (o) =>
          this.clients.custom.replaceNamespacedCustomObject(
            { ...this.gvp(), name: this.o.name, body },
            o,
          ),
        { timeoutMs: this.o.timeoutMs },
      );
      return true;
    } catch (err) {
      if (err instanceof ResourceConflictError) return false;
      throw err;
    }
  }
}
