import type { AnalysisRef } from '../types.js';
import type { DecisionBuilder } from './builder.js';

// Names of the AnalysisRuns a rollout starts: unique per revision and attempt, and for a step run
// tied to the step's analysis, so an edit of the step is noticed (canary.ts).

export function runName(d: DecisionBuilder, suffix: string): string {
  const rev = (d.status.canaryRevision ?? 'x').slice(0, 8);
  return `${d.rollout.metadata.name}-${rev}-${d.status.attempt ?? 0}-${suffix}`.toLowerCase();
}

/**
 * The part of a step run's name that says which analysis it runs: the step index and a short
 * hash of the step's templates and arguments, so an edit of the step is noticed.
 */
export function stepRunTag(d: DecisionBuilder, analysis: AnalysisRef): string {
  return `s${d.step}-${shortHash(JSON.stringify([analysis.templates, analysis.args ?? []]))}`;
}

/** FNV-1a, 32 bits, base 36: a name suffix, not a security measure. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}
