import type { V1Deployment } from '@kubernetes/client-node';
import { pendingCommands } from '../domain/commands.js';
import {
  InvalidSpecError,
  ResourceNotFoundError,
  RouteConflictError,
  errorMessage,
} from '../domain/errors.js';
import { findManagedDestinations } from '../domain/weights.js';
import type { Observed, RunState, SpecProblem } from '../domain/rollout/model.js';
import { resolveTemplates } from '../domain/templates.js';
import { lastMeasurementOf } from '../domain/analysis.js';
import type {
  AnalysisRef,
  AnalysisRun,
  AnalysisTemplate,
  MetricSpec,
  Rollout,
} from '../domain/types.js';
import { validateRolloutSpec } from '../domain/validate-rollout.js';
import type { Resources } from '../adapters/kubernetes/resources.js';
import { headerRouteName, type RouteRef, type TrafficRouter } from './ports.js';
import type { GateChecker } from './gates.js';
import { TemplateCache, type ControllerCache } from './cache.js';
import { primaryName, primaryState, targetState } from './workload.js';
import { budgetMatters, type BudgetReader } from './budget.js';

export interface ObserveDeps {
  resources: Resources;
  router: TrafficRouter;
  gates?: GateChecker | undefined;
  cache?: ControllerCache | undefined;
  templates?: TemplateCache | undefined;
  /** Reads the error budget of spec.budgetPolicy; absent: every budget is unknown. */
  budgets?: BudgetReader | undefined;
}

/** A Deployment from the cache when it has synced, else from the API server. */
export async function readDeployment(
  deps: Pick<ObserveDeps, 'resources' | 'cache'>,
  namespace: string,
  name: string,
): Promise<V1Deployment | undefined> {
  const cache = deps.cache?.deployments;
  if (cache?.hasSynced()) return cache.get(namespace, name);
  return getOrUndefined(deps.resources.deployments.get({ namespace, name }));
}

export function routeRefOf(rollout: Rollout): RouteRef {
  const vs = rollout.spec.trafficRouting.istio.virtualService;
  return {
    namespace: rollout.metadata.namespace ?? 'default',
    virtualService: vs.name,
    routes: vs.routes,
  };
}

async function getOrUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ResourceNotFoundError) return undefined;
    throw err;
  }
}

export interface Observation {
  observed: Observed;
  /** Healthy with nothing to do: no route was read, and nothing around it needs a look. */
  idle: boolean;
  target: V1Deployment | undefined;
  primary: V1Deployment | undefined;
}

/** Reads everything one reconcile of `rollout` depends on. */
export async function observe(
  deps: ObserveDeps,
  rollout: Rollout,
  now: number,
): Promise<Observation> {
  const ns = rollout.metadata.namespace ?? 'default';
  const target = await readDeployment(deps, ns, rollout.spec.targetRef.name);
  const commands = pendingCommands(rollout);
  const isIdle = idle(rollout, target, commands.length);
  const policy = rollout.spec.budgetPolicy;
  const [primary, routes, specProblems, stepRun, backgroundRun, gate, budget] = await Promise.all([
    readDeployment(deps, ns, primaryName(rollout)),
    isIdle ? IDLE_ROUTES : readRoutes(deps.router, rollout),
    checkSpec(deps.resources, rollout, deps.templates),
    readRun(deps, ns, rollout.status?.analysisRuns?.step),
    readRun(deps, ns, rollout.status?.analysisRuns?.background),
    deps.gates?.check(rollout, now),
    policy && budgetMatters(rollout, isIdle)
      ? (deps.budgets?.read(ns, policy.slo) ?? { slo: policy.slo, found: false })
      : undefined,
  ]);
  return {
    target,
    primary,
    idle: isIdle,
    observed: {
      now,
      target: target ? targetState(target) : undefined,
      primary: primary ? primaryState(primary) : undefined,
      routes,
      stepRun,
      backgroundRun,
      gate,
      commands,
      specProblems,
      budget,
    },
  };
}

/**
 * A Healthy rollout whose target still runs the stable revision, with no command pending, has
 * nothing to do with its routes (the routes are read again when a rollout starts), so its
 * resyncs cost no request to the API server.
 * NOTE: a VirtualService deleted while a rollout is idle is therefore reported when the next
 * rollout starts, not before.
 */
function idle(rollout: Rollout, target: V1Deployment | undefined, pending: number): boolean {
  const s = rollout.status;
  return (
    s?.phase === 'Healthy' &&
    pending === 0 &&
    target !== undefined &&
    targetState(target).revision === s.stableRevision
  );
}

/**
 * A header Sluice would route on (the blue-green preview header, a setHeaderRoute step's
 * headers) must not be one another route of the VirtualService already matches on: the two
 * routes would compete for the same requests.
 */
function headerCollision(
  rollout: Rollout,
  others: Array<{ route: string; headers: string[] }>,
): { field: string; message: string } | undefined {
  const wanted: Array<{ field: string; header: string }> = [];
  const preview = rollout.spec.strategy.blueGreen?.previewHeader?.header;
  if (preview)
    wanted.push({ field: 'spec.strategy.blueGreen.previewHeader.header', header: preview });
  rollout.spec.strategy.canary?.steps.forEach((step, i) => {
    if (!('setHeaderRoute' in step)) return;
    step.setHeaderRoute.match.forEach((m, j) => {
      if (m.header)
        wanted.push({
          field: `spec.strategy.canary.steps[${i}].setHeaderRoute.match[${j}].header`,
          header: m.header,
        });
    });
  });
  for (const w of wanted) {
    const clash = others.find((o) => o.headers.includes(w.header.toLowerCase()));
    if (clash) {
      return {
        field: w.field,
        message: `header "${w.header}" is already matched by route "${clash.route}" of the VirtualService; choose another header`,
      };
    }
  }
  return undefined;
}

const IDLE_ROUTES: Observed['routes'] = { ok: true, routes: [], headerRoute: false };

/**
 * Reads the managed routes. A missing VirtualService or route, or a route without both the
 * primary and the canary destination, is a spec problem (`missing`): nothing may move.
 */
async function readRoutes(router: TrafficRouter, rollout: Rollout): Promise<Observed['routes']> {
  const hosts = {
    stable: `${rollout.metadata.name}-primary`,
    canary: `${rollout.metadata.name}-canary`,
    namespace: rollout.metadata.namespace ?? 'default',
  };
  try {
    const read = await router.read(routeRefOf(rollout));
    for (const route of read.routes) findManagedDestinations(route, hosts);
    const own = headerRouteName(rollout.metadata.name);
    const collision = headerCollision(
      rollout,
      read.headerMatches.filter((m) => m.route !== own),
    );
    if (collision) return { ok: false, missing: true, ...collision };
    const headerRoute = read.routeNames.includes(own);
    return { ok: true, routes: read.routes, headerRoute };
  } catch (err) {
    const missing =
      err instanceof ResourceNotFoundError ||
      err instanceof InvalidSpecError ||
      err instanceof RouteConflictError;
    return { ok: false, message: errorMessage(err), missing };
  }
}

async function readRun(
  deps: ObserveDeps,
  namespace: string,
  name: string | undefined,
): Promise<RunState | undefined> {
  if (name === undefined) return undefined;
  const cache = deps.cache?.analysisRuns;
  const run = cache?.hasSynced()
    ? cache.get(namespace, name)
    : await getOrUndefined(deps.resources.analysisRuns.get({ namespace, name }));
  return run ? runState(run) : undefined;
}

export function runState(run: AnalysisRun): RunState {
  const byName = new Map(run.spec.metrics.map((m) => [m.name, m]));
  const measurements = (run.status?.metricResults ?? []).flatMap((r) => {
    const last = lastMeasurementOf(r, byName.get(r.name));
    return last ? [last] : [];
  });
  return {
    name: run.metadata.name,
    phase: run.status?.phase ?? 'Pending',
    message: run.status?.message,
    measurements,
  };
}

/** Semantic checks plus the analysis templates each step names, resolved with their arguments. */
async function checkSpec(
  resources: Resources,
  rollout: Rollout,
  templates?: TemplateCache,
): Promise<SpecProblem[]> {
  const problems: SpecProblem[] = [...validateRolloutSpec(rollout.spec)];
  const canary = rollout.spec.strategy.canary;
  const refs: Array<{ field: string; ref: AnalysisRef }> = [];
  canary?.steps.forEach((step, i) => {
    if ('analysis' in step)
      refs.push({ field: `spec.strategy.canary.steps[${i}].analysis`, ref: step.analysis });
  });
  if (canary?.analysis) refs.push({ field: 'spec.strategy.canary.analysis', ref: canary.analysis });
  const blueGreen = rollout.spec.strategy.blueGreen;
  for (const key of ['prePromotionAnalysis', 'postPromotionAnalysis'] as const) {
    const ref = blueGreen?.[key];
    if (ref) refs.push({ field: `spec.strategy.blueGreen.${key}`, ref });
  }
  const baseline = canary?.baseline?.enabled === true;
  for (const { field, ref } of refs) {
    try {
      const metrics = await resolveAnalysis(resources, rollout, ref, field, templates);
      for (const m of metrics)
        if (m.compare && !baseline && m.compare.baseline === undefined)
          problems.push({
            field,
            message: `metric "${m.name}" compares the canary with ${rollout.metadata.name}-baseline, which runs only with spec.strategy.canary.baseline.enabled: true (or give compare.baseline queries of your own)`,
          });
    } catch (err) {
      const f = err instanceof InvalidSpecError ? err.field : field;
      problems.push({ field: f, message: errorMessage(err).replace(`${f}: `, '') });
    }
  }
  return problems;
}

/** The metrics of an analysis reference, arguments substituted; throws InvalidSpecError. */
export async function resolveAnalysis(
  resources: Resources,
  rollout: Rollout,
  ref: AnalysisRef,
  field: string,
  cache?: TemplateCache,
): Promise<MetricSpec[]> {
  const ns = rollout.metadata.namespace ?? 'default';
  const templates: AnalysisTemplate[] = [];
  for (const [i, t] of ref.templates.entries()) {
    const access = t.clusterScope
      ? resources.clusterAnalysisTemplates
      : resources.analysisTemplates;
    const kind = t.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate';
    const key = t.clusterScope ? { name: t.templateName } : { namespace: ns, name: t.templateName };
    const load = (): Promise<AnalysisTemplate | undefined> => getOrUndefined(access.get(key));
    const found = await (cache
      ? cache.get(`${kind}/${key.namespace ?? ''}/${key.name}`, load)
      : load());
    if (!found)
      throw new InvalidSpecError(
        `${field}.templates[${i}].templateName`,
        `${kind} "${t.templateName}" not found`,
      );
    templates.push(found);
  }
  return resolveTemplates(
    templates.map((t) => ({ kind: t.kind, name: t.metadata.name, spec: t.spec })),
    ref.args,
    field,
  );
}
