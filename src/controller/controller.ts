import type { Notifier } from '../adapters/notify/webhook.js';
import type { V1Deployment } from '@kubernetes/client-node';
import { InvalidSpecError, SluiceError, errorMessage } from '../domain/errors.js';
import { decide } from '../domain/rollout/decide.js';
import type { Action, Decision, Transition } from '../domain/rollout/model.js';
import {
  ROLLOUT_PHASES,
  type AnalysisRun,
  type Rollout,
  type RolloutStatus,
} from '../domain/types.js';
import type { Resources } from '../adapters/kubernetes/resources.js';
import type { MetricProvider } from '../domain/provider.js';
import { rolloutLogger, type Logger } from '../logging.js';
import { tickRun } from './analysis-runner.js';
import { createGateChecker, type GateChecker } from './gates.js';
import { ensureServices, execute } from './execute.js';
import { createControllerMetrics, type ControllerMetrics } from './metrics.js';
import { observe, type ObserveDeps } from './observe.js';
import type { BudgetReader } from './budget.js';
import type { SloSpecSource } from './run-metrics.js';
import { ensureFinalizer, finalize } from './finalizer.js';
import { OwnWrites, TemplateCache, type ControllerCache } from './cache.js';
import type { Clock, EventSink, FlagPort, TrafficRouter } from './ports.js';
import { WorkQueue, realClock, type QueueClock } from './queue.js';

export interface ControllerOptions {
  resources: Resources;
  router: TrafficRouter;
  provider: MetricProvider;
  events: EventSink;
  flags?: FlagPort | undefined;
  /** Asks the URLs of gate steps; default: a checker using fetch. */
  gates?: GateChecker | undefined;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
  clock?: (Clock & Partial<QueueClock>) | undefined;
  /** Rollouts and runs reconciled at once. Default 8. */
  concurrency?: number | undefined;
  /** Every rollout is looked at again at least this often. Default 30 s. */
  resyncMs?: number | undefined;
  /** Sends each transition to Slack, PagerDuty or a JSON webhook (adapters/notify). */
  notifier?: Notifier | undefined;
  /** Reads ServiceLevelObjective budgets for spec.budgetPolicy. */
  budgets?: BudgetReader | undefined;
  /** Reads the ServiceLevelObjectives that burn-rate metrics name (execute.ts, run-metrics.ts). */
  slos?: SloSpecSource | undefined;
  /** Watch caches to read from instead of the API server (runtime.ts passes its informers). */
  cache?: ControllerCache | undefined;
  /**
   * Tests step the controller themselves: nothing is processed by the queue; the delays asked
   * for are kept in `requested` instead.
   */
  manual?: boolean | undefined;
}

/** Healthy, Aborted and Invalid rollouts wait for a change; this resync is only a safety net. */
export const SETTLED_RESYNC_MS = 5 * 60_000;

/** How long to wait before retrying after a failed write (S08: at most one try every 10 s). */
export const ERROR_RETRY_MS = 10_000;

const ROLLOUT = 'rollout';
const RUN = 'run';

export class Controller {
  readonly metrics: ControllerMetrics;
  /** Manual mode: the last delay asked for, per key. */
  readonly requested = new Map<string, number>();
  /** After a failed write, the key is not processed again before this time (epoch ms). */
  private readonly holdUntil = new Map<string, number>();
  private readonly queue: WorkQueue;
  private readonly clock: Clock;
  private readonly resyncMs: number;

  private readonly ownRollouts = new OwnWrites<Rollout>();
  private readonly reportedInvalid = new Map<string, string>();
  private readonly ownRuns = new OwnWrites<AnalysisRun>();
  /** Services are checked once per rollout generation (and after a restart). */
  private readonly servicesChecked = new Map<string, string>();
  private readonly observeDeps: ObserveDeps;

  constructor(private readonly o: ControllerOptions) {
    this.observeDeps = {
      resources: o.resources,
      router: o.router,
      gates: o.gates ?? createGateChecker(),
      budgets: o.budgets,
      cache: o.cache,
      templates: new TemplateCache(10_000, () => (o.clock ?? realClock).now()),
    };
    this.metrics = o.metrics ?? createControllerMetrics();
    this.clock = o.clock ?? realClock;
    this.resyncMs = o.resyncMs ?? 30_000;
    const queueClock: QueueClock =
      o.clock?.setTimeout && o.clock.clearTimeout ? (o.clock as QueueClock) : realClock;
    this.queue = new WorkQueue(
      (key) => this.process(key),
      o.concurrency ?? 8,
      queueClock,
      (key, err) => o.logger.error('reconcile crashed', { key, error: errorMessage(err) }),
    );
  }

  enqueueRollout(namespace: string, name: string, delayMs = 0): void {
    this.add(`${ROLLOUT}/${namespace}/${name}`, delayMs);
  }

  enqueueRun(namespace: string, name: string, delayMs = 0): void {
    this.add(`${RUN}/${namespace}/${name}`, delayMs);
  }

  private add(key: string, delayMs: number): void {
    const held = (this.holdUntil.get(key) ?? 0) - this.clock.now();
    if (held > delayMs) delayMs = held;
    if (!this.o.manual) return this.queue.add(key, delayMs);
    const prev = this.requested.get(key);
    this.requested.set(key, prev === undefined ? delayMs : Math.min(prev, delayMs));
  }

  /** Routes a changed Deployment to the rollouts that own it (as target or primary). */
  deploymentChanged(dep: V1Deployment, rollouts: Rollout[]): void {
    const ns = dep.metadata?.namespace ?? 'default';
    const name = dep.metadata?.name ?? '';
    for (const r of rollouts) {
      if ((r.metadata.namespace ?? 'default') !== ns) continue;
      if (r.spec.targetRef.name === name || `${r.metadata.name}-primary` === name)
        this.enqueueRollout(ns, r.metadata.name);
    }
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
  }

  private async process(key: string): Promise<void> {
    const [kind, ns, name] = key.split('/') as [string, string, string];
    const end = this.metrics.reconcileSeconds.startTimer({ kind });
    try {
      if (kind === ROLLOUT) await this.reconcileRollout(ns, name);
      else await this.reconcileRun(ns, name);
    } catch (err) {
      const code = err instanceof SluiceError ? err.code : 'Internal';
      this.metrics.reconcileErrors.inc({ kind, code });
      this.o.logger.warn('reconcile failed; will retry', { key, code, error: errorMessage(err) });
      this.add(key, err instanceof SluiceError && err.retriable ? 1000 : ERROR_RETRY_MS);
    } finally {
      end();
    }
  }

  /** One reconcile of one rollout: read, decide, act, then record. */
  async reconcileRollout(namespace: string, name: string): Promise<Decision | undefined> {
    const rollout = await this.readRollout(namespace, name);
    if (!rollout) return undefined;
    if (rollout.metadata.deletionTimestamp) {
      await finalize(this.o, rollout);
      return undefined;
    }
    await ensureFinalizer(this.o, rollout);
    const now = this.clock.now();
    const obs = await observe(this.observeDeps, rollout, now);
    const decision = decide(rollout, obs.observed);
    const log = rolloutLogger(this.o.logger, {
      namespace,
      rollout: name,
      revision: decision.status.canaryRevision,
      step: decision.status.currentStepIndex,
      phase: decision.status.phase,
      canaryWeight: decision.status.weights?.canary,
    });
    const generation = `${rollout.metadata.uid ?? ''}/${rollout.metadata.generation ?? 0}`;
    const key = `${ROLLOUT}/${namespace}/${name}`;
    if (!obs.idle && obs.target && obs.primary && this.servicesChecked.get(key) !== generation) {
      await ensureServices(this.o, rollout, obs.target, obs.primary);
      this.servicesChecked.set(key, generation);
    }
    for (const action of decision.actions) {
      try {
        const patch = await execute(
          this.o,
          { rollout, target: obs.target, primary: obs.primary, now },
          action,
        );
        if (patch) {
          Object.assign(decision.status, patch);
          decision.statusChanged = true;
        }
        if (action.kind === 'writeRoutes')
          log.info('routes written', { why: action.why, routes: action.routes });
      } catch (err) {
        await this.reportActionError(rollout, action, err, log);
        return decision;
      }
    }
    this.holdUntil.delete(`${ROLLOUT}/${namespace}/${name}`);
    clearErrorConditions(decision);
    if (!(await this.writeStatus(rollout, decision))) return decision;
    for (const t of decision.transitions) await this.record(rollout, t, log, decision.status);
    this.updateGauges(rollout, decision);
    for (const run of Object.values(decision.status.analysisRuns ?? {}))
      this.enqueueRun(namespace, run);
    const settled = ['Healthy', 'Aborted', 'Invalid'].includes(decision.status.phase ?? '');
    this.enqueueRollout(
      namespace,
      name,
      decision.requeueAfterMs ?? (settled ? SETTLED_RESYNC_MS : this.resyncMs),
    );
    return decision;
  }

  private async readRollout(namespace: string, name: string): Promise<Rollout | undefined> {
    const cache = this.o.cache?.rollouts;
    if (cache?.hasSynced()) {
      const cached = cache.get(namespace, name);
      if (cached) return this.ownRollouts.pick(`${namespace}/${name}`, cached);
    }
    try {
      return await this.o.resources.rollouts.get({ namespace, name });
    } catch (err) {
      if (err instanceof SluiceError && err.code === 'NotFound') return undefined;
      if (err instanceof InvalidSpecError) {
        await this.reportUnparseable(namespace, name, err);
        return undefined;
      }
      throw err;
    }
  }

  /** A Rollout the API server holds but that does not parse: say so on its status, move nothing. */
  private async reportUnparseable(
    namespace: string,
    name: string,
    err: InvalidSpecError,
  ): Promise<void> {
    const message = err.message;
    // Reported once per message: the status write itself triggers the next reconcile.
    const key = `${namespace}/${name}`;
    if (this.reportedInvalid.get(key) === message) return;
    this.reportedInvalid.set(key, message);
    const at = new Date(this.clock.now()).toISOString();
    await this.o.resources.rollouts
      .patchStatusMerge(
        { namespace, name },
        {
          status: {
            phase: 'Invalid',
            reason: 'InvalidSpec',
            message,
            conditions: [
              {
                type: 'SpecValid',
                status: 'False',
                reason: 'InvalidSpec',
                message,
                lastTransitionTime: at,
              },
            ],
          },
        },
      )
      .catch((e: unknown) =>
        this.o.logger.warn('could not report invalid spec', {
          namespace,
          rollout: name,
          error: errorMessage(e),
        }),
      );
    await this.o.events.record(
      { kind: 'Rollout', apiVersion: 'sluice.dev/v1alpha1', namespace, name },
      'Warning',
      'InvalidSpec',
      message,
    );
    this.o.logger.warn('invalid rollout', {
      namespace,
      rollout: name,
      field: err.field,
      reason: 'InvalidSpec',
      message,
    });
  }

  private async writeStatus(rollout: Rollout, decision: Decision): Promise<boolean> {
    const generation = rollout.metadata.generation;
    const status = {
      ...decision.status,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
    if (!decision.statusChanged && rollout.status?.observedGeneration === generation) return true;
    try {
      const written = await this.o.resources.rollouts.updateStatus({ ...rollout, status });
      const key = `${rollout.metadata.namespace ?? 'default'}/${rollout.metadata.name}`;
      this.ownRollouts.wrote(key, rollout.metadata.resourceVersion, written);
      return true;
    } catch (err) {
      if (err instanceof SluiceError && err.code === 'Conflict') {
        this.enqueueRollout(rollout.metadata.namespace ?? 'default', rollout.metadata.name);
        return false;
      }
      throw err;
    }
  }

  private async reportActionError(
    rollout: Rollout,
    action: Action,
    err: unknown,
    log: Logger,
  ): Promise<void> {
    const routing =
      action.kind === 'writeRoutes' ||
      action.kind === 'setHeaderRoute' ||
      action.kind === 'removeHeaderRoute';
    const type = routing ? 'TrafficRouting' : 'ReconcileError';
    const reason = routing ? 'TrafficRoutingError' : 'ActionFailed';
    const message = `${action.kind} failed: ${errorMessage(err)}`;
    log.warn('action failed', { action: action.kind, reason, error: errorMessage(err) });
    const ns = rollout.metadata.namespace ?? 'default';
    const key = `${ROLLOUT}/${ns}/${rollout.metadata.name}`;
    this.holdUntil.set(key, this.clock.now() + ERROR_RETRY_MS);
    const old = rollout.status?.conditions?.find((c) => c.type === type);
    if (!old || old.message !== message || old.reason !== reason) {
      const at = new Date(this.clock.now()).toISOString();
      const conditions = (rollout.status?.conditions ?? []).filter((c) => c.type !== type);
      conditions.push({ type, status: 'False', reason, message, lastTransitionTime: at });
      // Best effort: the condition is information; the retry does not depend on it.
      await this.o.resources.rollouts
        .updateStatus({ ...rollout, status: { ...(rollout.status ?? {}), conditions } })
        .catch(() => undefined);
    }
    await this.o.events.record(eventRef(rollout), 'Warning', reason, message);
    this.enqueueRollout(ns, rollout.metadata.name, ERROR_RETRY_MS);
  }

  /** One call records a transition: log line, Event and metric. */
  private async record(
    rollout: Rollout,
    t: Transition,
    log: Logger,
    status: RolloutStatus,
  ): Promise<void> {
    this.o.notifier?.notify({
      namespace: rollout.metadata.namespace ?? 'default',
      rollout: rollout.metadata.name,
      revision: status.canaryRevision,
      step: status.currentStepIndex,
      phase: status.phase,
      type: t.type,
      reason: t.reason,
      message: t.message,
      at: new Date(this.clock.now()).toISOString(),
    });
    const fields = { reason: t.reason, message: t.message };
    if (t.type === 'Warning') log.warn('rollout transition', fields);
    else log.info('rollout transition', fields);
    this.metrics.transitions.inc({
      namespace: rollout.metadata.namespace ?? 'default',
      rollout: rollout.metadata.name,
      reason: t.reason,
    });
    await this.o.events.record(eventRef(rollout), t.type, t.reason, t.message);
  }

  private updateGauges(rollout: Rollout, decision: Decision): void {
    const labels = {
      namespace: rollout.metadata.namespace ?? 'default',
      rollout: rollout.metadata.name,
    };
    this.metrics.canaryWeight.set(labels, decision.status.weights?.canary ?? 0);
    for (const p of ROLLOUT_PHASES) {
      this.metrics.phase.set({ ...labels, phase: p }, decision.status.phase === p ? 1 : 0);
    }
  }

  private async readRun(namespace: string, name: string): Promise<AnalysisRun | undefined> {
    const cache = this.o.cache?.analysisRuns;
    if (cache?.hasSynced()) {
      const cached = cache.get(namespace, name);
      if (cached) return this.ownRuns.pick(`${namespace}/${name}`, cached);
    }
    try {
      return await this.o.resources.analysisRuns.get({ namespace, name });
    } catch (err) {
      if (err instanceof SluiceError && err.code === 'NotFound') return undefined;
      throw err;
    }
  }

  /** Takes the due measurements of one AnalysisRun and writes its status. */
  async reconcileRun(namespace: string, name: string): Promise<void> {
    const run = await this.readRun(namespace, name);
    if (!run) return;
    const tick = await tickRun(run, this.o.provider, () => this.clock.now(), this.o.logger);
    if (tick.changed) {
      try {
        const written = await this.o.resources.analysisRuns.updateStatus({
          ...run,
          status: tick.status,
        });
        this.ownRuns.wrote(`${namespace}/${name}`, run.metadata.resourceVersion, written);
      } catch (err) {
        if (err instanceof SluiceError && err.code === 'Conflict')
          return this.enqueueRun(namespace, name);
        throw err;
      }
      for (const r of tick.status.metricResults) {
        const last = r.measurements[r.measurements.length - 1];
        if (last)
          this.metrics.measurements.inc({
            namespace,
            rollout: run.spec.rollout,
            metric: r.name,
            phase: last.phase,
          });
      }
      this.enqueueRollout(namespace, run.spec.rollout);
    }
    if (tick.nextAt !== undefined)
      this.enqueueRun(namespace, name, Math.max(0, tick.nextAt - this.clock.now()));
  }
}

/** Reasons of the conditions reportActionError writes. */
const ACTION_ERROR_REASONS = new Set(['TrafficRoutingError', 'ActionFailed']);

/** Every action succeeded: the conditions left by an earlier failed action no longer hold. */
function clearErrorConditions(decision: Decision): void {
  const conditions = decision.status.conditions ?? [];
  if (!conditions.some((c) => ACTION_ERROR_REASONS.has(c.reason))) return;
  decision.status.conditions = conditions.filter((c) => !ACTION_ERROR_REASONS.has(c.reason));
  decision.statusChanged = true;
}

function eventRef(rollout: Rollout): {
  kind: string;
  apiVersion: string;
  namespace: string;
  name: string;
  uid?: string | undefined;
} {
  return {
    kind: 'Rollout',
    apiVersion: rollout.apiVersion,
    namespace: rollout.metadata.namespace ?? 'default',
    name: rollout.metadata.name,
    uid: rollout.metadata.uid,
  };
}
