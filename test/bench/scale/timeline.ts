import type { StoreAccessor } from '../../../src/sandbox/apiserver/index.js';

// Watches the progressing rollouts from inside the sandbox API server's store (no API traffic,
// so the observer does not compete with the controller for its request budget) and notes the
// first time each milestone was seen. Sampling every `everyMs` bounds the error of each time.

export interface Milestones {
  releasedAt: number;
  /** The route's canary weight first seen at 10. */
  weight10At?: number;
  /** currentStepIndex first seen at or past 1 (the pause), 2 (analysis), 3 (setWeight 50). */
  pauseAt?: number;
  analysisAt?: number;
  afterAnalysisAt?: number;
  weight50At?: number;
  /** Healthy again on the new revision, all traffic on the primary. */
  promotedAt?: number;
  abortedAt?: number;
}

export interface Tracked {
  namespace: string;
  name: string;
  m: Milestones;
}

interface StoredRollout {
  status?: { phase?: string; currentStepIndex?: number; stableRevision?: string };
}

interface StoredVs {
  spec?: {
    http?: Array<{
      name?: string;
      route?: Array<{ destination?: { host?: string }; weight?: number }>;
    }>;
  };
}

function canaryWeight(vs: StoredVs | undefined, name: string): number | undefined {
  const route = vs?.spec?.http?.find((r) => r.name === 'primary')?.route ?? [];
  return route.find((d) => d.destination?.host === `${name}-canary`)?.weight;
}

export function isFinished(t: Tracked): boolean {
  return t.m.promotedAt !== undefined || t.m.abortedAt !== undefined;
}

/** Samples until stopped; returns a stop function. */
export function trackRollouts(
  store: StoreAccessor,
  tracked: Tracked[],
  everyMs: number,
): () => void {
  const sample = (): void => {
    const now = Date.now();
    for (const t of tracked) {
      if (isFinished(t)) continue;
      const r = store.get('rollouts', t.namespace, t.name) as StoredRollout | undefined;
      const w = canaryWeight(store.get('virtualservices', t.namespace, t.name) as StoredVs, t.name);
      const step = r?.status?.currentStepIndex ?? -1;
      const phase = r?.status?.phase;
      const m = t.m;
      if (w === 10) m.weight10At ??= now;
      if (w === 50) m.weight50At ??= now;
      if (m.weight10At !== undefined && step >= 1) m.pauseAt ??= now;
      if (m.weight10At !== undefined && step >= 2) m.analysisAt ??= now;
      if (m.weight10At !== undefined && step >= 3) m.afterAnalysisAt ??= now;
      if (m.weight50At !== undefined && phase === 'Healthy' && w === 0) m.promotedAt ??= now;
      if (m.weight10At !== undefined && phase === 'Aborted') m.abortedAt ??= now;
    }
  };
  const timer = setInterval(sample, everyMs);
  sample();
  return () => {
    clearInterval(timer);
    sample();
  };
}
