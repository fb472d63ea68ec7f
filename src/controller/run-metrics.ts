import { DEFAULT_INTERVAL } from '../domain/analysis.js';
import { resolveBurnRate } from '../domain/burn-rate.js';
import { resolveCompare } from '../domain/compare.js';
import { parseDuration } from '../domain/duration.js';
import { ResourceNotFoundError } from '../domain/errors.js';
import type { ServiceLevelObjectiveSpec } from '../domain/slo/types.js';
import type { MetricSpec, Rollout } from '../domain/types.js';
import { baselineName } from './workload.js';

// Makes a new AnalysisRun's metrics self-contained: a compare metric gets both sides' queries
// with the workloads filled in, a burn-rate metric gets its SLO's queries and objective. A run
// then never reads the Rollout or the SLO again, so editing either cannot change a run midway.

/** Reads a ServiceLevelObjective; throws ResourceNotFoundError when there is none. */
export interface SloSpecSource {
  get(key: { namespace: string; name: string }): Promise<{ spec: ServiceLevelObjectiveSpec }>;
}

export async function resolveRunMetrics(
  deps: { slos?: SloSpecSource | undefined },
  rollout: Rollout,
  metrics: MetricSpec[],
): Promise<MetricSpec[]> {
  const namespace = rollout.metadata.namespace ?? 'default';
  const out: MetricSpec[] = [];
  for (const m of metrics) {
    if (m.compare) {
      const compare = resolveCompare(m.compare, {
        canary: rollout.spec.targetRef.name,
        baseline: baselineName(rollout),
        intervalMs: parseDuration(m.interval ?? DEFAULT_INTERVAL),
      });
      out.push({ ...m, compare });
    } else if (m.burnRate?.slo !== undefined) {
      // NOTE: a missing SLO leaves the metric unresolved: each of its measurements is then an
      // Error naming the SLO (analysis-runner.ts), and errors never pass.
      const slo = await readSlo(deps.slos, namespace, m.burnRate.slo);
      out.push({ ...m, burnRate: resolveBurnRate(m.burnRate, slo) });
    } else out.push(m);
  }
  return out;
}

async function readSlo(
  source: SloSpecSource | undefined,
  namespace: string,
  name: string,
): Promise<{ spec: ServiceLevelObjectiveSpec } | undefined> {
  if (!source) return undefined;
  try {
    return await source.get({ namespace, name });
  } catch (err) {
    if (err instanceof ResourceNotFoundError) return undefined;
    throw err;
  }
}
