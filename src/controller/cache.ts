import type { V1Deployment } from '@kubernetes/client-node';
import type { AnalysisRun, AnalysisTemplate, Rollout } from '../domain/types.js';

// What the controller reads without asking the API server: the watch caches, what it wrote
// itself, and analysis templates for a few seconds.

export interface ReadCache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  hasSynced(): boolean;
}

/** Watch caches the controller may read instead of the API server (see runtime.ts). */
export interface ControllerCache {
  rollouts?: ReadCache<Rollout> | undefined;
  deployments?: ReadCache<V1Deployment> | undefined;
  analysisRuns?: ReadCache<AnalysisRun> | undefined;
}

/**
 * Right after a write the watch cache may still hold the version that write replaced. Deciding
 * on it again would only earn a 409; this remembers what we wrote, to use until the cache moves.
 */
export class OwnWrites<T extends { metadata: { resourceVersion?: string | undefined } }> {
  private readonly written = new Map<string, { basedOn: string; obj: T }>();

  wrote(key: string, basedOn: string | undefined, obj: T): void {
    if (basedOn !== undefined) this.written.set(key, { basedOn, obj });
  }

  /** `cached`, or what we wrote over it when the cache still shows the older version. */
  pick(key: string, cached: T): T {
    const mine = this.written.get(key);
    if (mine && mine.basedOn === cached.metadata.resourceVersion) return mine.obj;
    this.written.delete(key);
    return cached;
  }
}

/**
 * Analysis templates read for spec checks, kept briefly: a rollout's every reconcile names the
 * same few, and a template edit is seen within `ttlMs`.
 */
export class TemplateCache {
  private readonly entries = new Map<
    string,
    { at: number; value: Promise<AnalysisTemplate | undefined> }
  >();
  constructor(
    private readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(
    key: string,
    load: () => Promise<AnalysisTemplate | undefined>,
  ): Promise<AnalysisTemplate | undefined> {
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    const value = load();
    this.entries.set(key, { at: this.now(), value });
    value.catch(() => this.entries.delete(key));
    if (this.entries.size > 1000) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }
}
