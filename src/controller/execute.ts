import { pruneAnalysisRuns } from './run-history.js';
import type { Logger } from '../logging.js';
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { SluiceError } from '../domain/errors.js';
import { terminateRun } from '../domain/analysis.js';
import type { Action } from '../domain/rollout/model.js';
import type {
  AnalysisRun,
  FeatureFlagRef,
  FlagRecord,
  MetricSpec,
  Rollout,
  RolloutStatus,
} from '../domain/types.js';
import { API_VERSION } from '../domain/types.js';
import type { Resources } from '../adapters/kubernetes/resources.js';
import { resolveAnalysis, routeRefOf } from './observe.js';
import type { ControllerCache } from './cache.js';
import { ensureBaseline, removeBaseline } from './baseline.js';
import { resolveRunMetrics, type SloSpecSource } from './run-metrics.js';
import { headerRouteName, type FlagPort, type TrafficRouter } from './ports.js';
import {
  REVISION_ANNOTATION,
  ROLLOUT_LABEL,
  buildPrimary,
  ownerRef,
  primaryTemplate,
  templateHash,
} from './workload.js';

export interface ExecuteDeps {
  resources: Resources;
  router: TrafficRouter;
  flags?: FlagPort | undefined;
  /** Reads the ServiceLevelObjectives burn-rate metrics name (when their runs start). */
  slos?: SloSpecSource | undefined;
  /** Watch caches; the baseline Deployment is read from them when they have synced. */
  cache?: ControllerCache | undefined;
  logger?: Logger | undefined;
}

export interface ExecuteContext {
  rollout: Rollout;
  target: V1Deployment | undefined;
  primary: V1Deployment | undefined;
  now: number;
}

function isConflict(err: unknown): boolean {
  return err instanceof SluiceError && err.code === 'Conflict';
}

/** What an action learned that belongs on the status (only snapshotFlags returns one). */
export type StatusPatch = Pick<RolloutStatus, 'featureFlags'>;

/** Carries out one action of a decision. Throws a typed error when it could not. */
export async function execute(
  deps: ExecuteDeps,
  ctx: ExecuteContext,
  action: Action,
): Promise<StatusPatch | void> {
  const { rollout } = ctx;
  const ns = rollout.metadata.namespace ?? 'default';
  const ref = routeRefOf(rollout);
  switch (action.kind) {
    case 'ensurePrimary':
      if (ctx.primary || !ctx.target) return;
      try {
        await deps.resources.deployments.create(buildPrimary(rollout, ctx.target, action.replicas));
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
      return;
    case 'promotePrimary':
      return promotePrimary(deps, ctx);
    case 'scaleCandidate':
      if (!ctx.target || (ctx.target.spec?.replicas ?? 1) === action.replicas) return;
      await deps.resources.deployments.scale(
        { namespace: ns, name: rollout.spec.targetRef.name },
        action.replicas,
      );
      return;
    case 'writeRoutes':
      return deps.router.write(ref, action.routes);
    case 'setHeaderRoute':
      return deps.router.setHeaderRoute(ref, {
        name: headerRouteName(rollout.metadata.name),
        match: action.match,
        canaryHost: `${rollout.metadata.name}-canary`,
      });
    case 'removeHeaderRoute':
      return deps.router.removeHeaderRoute(ref, headerRouteName(rollout.metadata.name));
    case 'startAnalysis':
      return startAnalysis(deps, ctx, action.name, action.step, action.analysis);
    case 'terminateAnalysis':
      return terminateAnalysis(deps, ns, action.name, action.message, ctx.now);
    case 'snapshotFlags':
      return { featureFlags: await snapshotFlags(deps, action.flags) };
    case 'setFlag':
      return flagPort(deps, action.flag.name).setPercent(action.flag, action.percent);
    case 'restoreFlags':
      for (const snapshot of action.snapshots) await flagPort(deps, 'restore').restore(snapshot);
      return;
    case 'ensureBaseline':
      return ensureBaseline(deps, ctx, action.replicas);
    case 'removeBaseline':
      return removeBaseline(deps, rollout);
    default: {
      const never: never = action;
      throw new Error(`unknown action ${JSON.stringify(never)}`);
    }
  }
}

function flagPort(deps: ExecuteDeps, what: string): FlagPort {
  if (!deps.flags) {
    throw new SluiceError(
      'FlagProvider',
      `flag ${what}: no flag provider is configured (start the controller with --unleash-url)`,
    );
  }
  return deps.flags;
}

async function snapshotFlags(deps: ExecuteDeps, flags: FeatureFlagRef[]): Promise<FlagRecord[]> {
  const records: FlagRecord[] = [];
  for (const flag of flags)
    records.push({ name: flag.name, snapshot: await flagPort(deps, flag.name).snapshot(flag) });
  return records;
}

async function promotePrimary(deps: ExecuteDeps, ctx: ExecuteContext): Promise<void> {
  const { primary, target } = ctx;
  if (!primary || !target)
    throw new SluiceError('NotFound', 'primary or target Deployment missing during promotion', {
      retriable: true,
    });
  const next: V1Deployment = structuredClone(primary);
  next.metadata = {
    ...next.metadata,
    annotations: {
      ...(next.metadata?.annotations ?? {}),
      [REVISION_ANNOTATION]: templateHash(target.spec?.template),
    },
  };
  next.spec = {
    ...(next.spec ?? { selector: {}, template: {} }),
    template: primaryTemplate(target),
  };
  await deps.resources.deployments.update(next);
}

/** Creates the AnalysisRun with the rollout's analysis defaults baked into each metric. */
async function startAnalysis(
  deps: ExecuteDeps,
  ctx: ExecuteContext,
  name: string,
  step: number,
  analysis: import('../domain/types.js').AnalysisRef,
): Promise<void> {
  const { rollout } = ctx;
  const blueGreen = rollout.spec.strategy.blueGreen !== undefined;
  // Blue-green runs carry the stage: 1 before the switch, 2 after it (domain/rollout/blue-green-stages.ts).
  const field = blueGreen
    ? `spec.strategy.blueGreen.${step === 1 ? 'prePromotionAnalysis' : 'postPromotionAnalysis'}`
    : step < 0
      ? 'spec.strategy.canary.analysis'
      : `spec.strategy.canary.steps[${step}].analysis`;
  const defaulted = (await resolveAnalysis(deps.resources, rollout, analysis, field)).map((m) =>
    withDefaults(m, rollout),
  );
  const metrics = await resolveRunMetrics(deps, rollout, defaulted);
  const run: AnalysisRun = {
    apiVersion: API_VERSION,
    kind: 'AnalysisRun',
    metadata: {
      name,
      namespace: rollout.metadata.namespace ?? 'default',
      labels: {
        [ROLLOUT_LABEL]: rollout.metadata.name,
        'sluice.dev/revision': rollout.status?.canaryRevision ?? '',
        'sluice.dev/step': step < 0 ? 'background' : String(step),
      },
      ownerReferences: [ownerRef(rollout)],
    },
    spec: {
      rollout: rollout.metadata.name,
      revision: rollout.status?.canaryRevision ?? '',
      step,
      metrics,
      ...(analysis.args ? { args: analysis.args } : {}),
    },
  };
  try {
    await deps.resources.analysisRuns.create(run);
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
  await pruneAnalysisRuns(deps, rollout);
}

function withDefaults(metric: MetricSpec, rollout: Rollout): MetricSpec {
  const d = rollout.spec.analysis ?? {};
  const out: MetricSpec = { ...metric };
  if (out.interval === undefined && d.interval !== undefined) out.interval = d.interval;
  if (out.timeout === undefined && d.timeout !== undefined) out.timeout = d.timeout;
  if (out.noData === undefined && d.noData !== undefined) out.noData = d.noData;
  if (out.failureLimit === undefined && d.failureLimit !== undefined)
    out.failureLimit = d.failureLimit;
  if (out.inconclusiveLimit === undefined && d.inconclusiveLimit !== undefined)
    out.inconclusiveLimit = d.inconclusiveLimit;
  if (out.consecutiveErrorLimit === undefined && d.consecutiveErrorLimit !== undefined) {
    out.consecutiveErrorLimit = d.consecutiveErrorLimit;
  }
  return out;
}

async function terminateAnalysis(
  deps: ExecuteDeps,
  namespace: string,
  name: string,
  message: string,
  now: number,
): Promise<void> {
  let run: AnalysisRun;
  try {
    run = await deps.resources.analysisRuns.get({ namespace, name });
  } catch (err) {
    if (err instanceof SluiceError && err.code === 'NotFound') return;
    throw err;
  }
  const phase = run.status?.phase ?? 'Pending';
  if (phase !== 'Running' && phase !== 'Pending') return;
  const status = terminateRun(
    run.status ?? { phase: 'Pending', metricResults: [] },
    new Date(now).toISOString(),
    message,
  );
  await deps.resources.analysisRuns.updateStatus({ ...run, status });
}

/** Keeps `<name>-primary` and `<name>-canary` selecting the primary and the candidate. */
export async function ensureServices(
  deps: ExecuteDeps,
  rollout: Rollout,
  target: V1Deployment,
  primary: V1Deployment,
): Promise<void> {
  const ns = rollout.metadata.namespace ?? 'default';
  const selector = target.spec?.selector?.matchLabels ?? {};
  const primarySelector = primary.spec?.selector?.matchLabels;
  if (!primarySelector) return;
  const port = rollout.spec.service?.port ?? 80;
  const targetPort = rollout.spec.service?.targetPort ?? port;
  for (const [name, sel] of [
    [`${rollout.metadata.name}-primary`, primarySelector],
    [`${rollout.metadata.name}-canary`, selector],
  ] as const) {
    const existing = await deps.resources.services
      .get({ namespace: ns, name })
      .catch((err: unknown) => {
        if (err instanceof SluiceError && err.code === 'NotFound') return undefined;
        throw err;
      });
    if (!existing) {
      const svc: V1Service = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name,
          namespace: ns,
          labels: { [ROLLOUT_LABEL]: rollout.metadata.name },
        },
        spec: { selector: { ...sel }, ports: [{ name: 'http', port, targetPort }] },
      };
      try {
        await deps.resources.services.create(svc);
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    } else if (JSON.stringify(existing.spec?.selector ?? {}) !== JSON.stringify(sel)) {
      await deps.resources.services.patchMerge(
        { namespace: ns, name },
        { spec: { selector: sel } },
      );
    }
  }
}
