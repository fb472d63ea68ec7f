import type { Registry } from 'prom-client';
import type { Informer } from '../adapters/kubernetes/informer.js';
import type { StatusAccess } from '../adapters/kubernetes/resources.js';
import { parseDuration } from '../domain/duration.js';
import { InvalidSpecError, SluiceError, errorMessage } from '../domain/errors.js';
import type { MetricProvider } from '../domain/provider.js';
import {
  DEFAULT_SLO_WINDOW,
  computeSloStatus,
  formatPromDuration,
  invalidSliMessage,
  nextSloStatus,
  parseSloWindow,
  renderWindow,
  sloStatusDiffers,
  sloWindows,
  validateSlo,
  type EventCounts,
  type ServiceLevelObjective,
  type SloEvaluationOutcome,
} from '../domain/slo/index.js';
import { LOG_FIELDS, type Logger } from '../logging.js';
import { createSloMetrics, type SloMetrics } from './slo-metrics.js';

// Every interval, for every ServiceLevelObjective in the cache: query Prometheus for good and
// total events over the SLO window and each burn window, compute the budget and burn rates
// (domain/slo), write them to the status (resourceVersion-guarded, only when they changed)
// and to the controller's /metrics. A query that fails or a spec that does not validate gives
// a condition and a log line, never a crash and never a made-up number.

export interface SloEvaluatorOptions {
  slos: Informer<ServiceLevelObjective>;
  access: StatusAccess<ServiceLevelObjective>;
  provider: MetricProvider;
  /** Prometheus for the SLI queries; undefined: the provider's default. */
  prometheusUrl?: string | undefined;
  registry: Registry;
  logger: Logger;
  /** Default 60 s. */
  intervalMs?: number | undefined;
  /** Per query. Default 10 s. */
  queryTimeoutMs?: number | undefined;
  /**
   * A status whose numbers hold still is still rewritten this often. Default: 5 intervals, but
   * at most SLO_REFRESH_MAX_MS, so the budget freeze (which calls a status older than 15 min
   * unknown) never sees a live SLO go stale.
   */
  refreshMs?: number | undefined;
  /** Evaluates only while this says so (leader election). Default: always. */
  isLeader?: (() => boolean) | undefined;
  now?: (() => Date) | undefined;
}

export interface SloEvaluationResult {
  key: string;
  outcome: SloEvaluationOutcome['kind'] | 'skipped';
  written: boolean;
}

/** evaluatedAt is refreshed at least this often, whatever the interval. */
export const SLO_REFRESH_MAX_MS = 5 * 60_000;
/**
 * The longest --slo-interval: the budget freeze treats an evaluation older than 15 min as
 * unknown, so a pass must land well inside that (one interval late plus a slow pass).
 */
export const SLO_INTERVAL_MAX_MS = 10 * 60_000;

/** The refresh period for an interval: min(5 × interval, 5 min). */
export function sloRefreshMs(intervalMs: number): number {
  return Math.min(5 * intervalMs, SLO_REFRESH_MAX_MS);
}

/** Parses --slo-interval: a positive duration of at most 10 min. Throws InvalidSpecError. */
export function parseSloInterval(text: string, field = '--slo-interval'): number {
  const ms = parseDuration(text, field);
  if (!(ms > 0)) throw new InvalidSpecError(field, `"${text}" must be a positive duration`);
  if (ms > SLO_INTERVAL_MAX_MS)
    throw new InvalidSpecError(
      field,
      `"${text}" is longer than 10m: the budget freeze treats an SLO evaluated more than 15 min ago as unknown, so a longer interval would let frozen rollouts start`,
    );
  return ms;
}

interface Series {
  namespace: string;
  slo: string;
  service: string;
  windows: string[];
}

export class SloEvaluator {
  readonly metrics: SloMetrics;
  private readonly o: SloEvaluatorOptions;
  private readonly intervalMs: number;
  private readonly exported = new Map<string, Series>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private abort = new AbortController();
  private stopped = true;

  constructor(options: SloEvaluatorOptions) {
    this.o = options;
    this.intervalMs = options.intervalMs ?? 60_000;
    this.metrics = createSloMetrics(options.registry);
  }

  /** Evaluates now and then every interval, until stop(). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.abort = new AbortController();
    const tick = (): void => {
      if (this.stopped) return;
      const leading = this.o.isLeader?.() ?? true;
      // Until the cache has its first list, look again soon rather than a whole interval later.
      const synced = this.o.slos.hasSynced();
      const pass = leading && synced ? this.evaluateAll(this.abort.signal) : Promise.resolve([]);
      this.running = pass
        .catch((err: unknown) =>
          this.o.logger.error('SLO evaluation pass failed', { error: errorMessage(err) }),
        )
        .finally(() => {
          const wait = synced ? this.intervalMs : Math.min(this.intervalMs, 500);
          if (!this.stopped) this.timer = setTimeout(tick, wait);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
  }

  /** One pass over every SLO in the cache; also drops the series of SLOs that are gone. */
  async evaluateAll(signal?: AbortSignal): Promise<SloEvaluationResult[]> {
    const slos = this.o.slos.list();
    const results: SloEvaluationResult[] = [];
    for (const slo of slos) {
      if (signal?.aborted) break;
      results.push(await this.evaluate(slo, signal));
    }
    const present = new Set(slos.map(keyOf));
    for (const key of [...this.exported.keys()]) if (!present.has(key)) this.forget(key);
    return results;
  }

  /** Evaluates one SLO and writes its status when it changed. Never throws for a bad SLO. */
  async evaluate(slo: ServiceLevelObjective, signal?: AbortSignal): Promise<SloEvaluationResult> {
    const key = keyOf(slo);
    const log = this.o.logger.child({
      [LOG_FIELDS.namespace]: slo.metadata.namespace,
      slo: slo.metadata.name,
    });
    const outcome = await this.measure(slo, signal);
    if (signal?.aborted) return { key, outcome: 'skipped', written: false };
    if (outcome.kind === 'evaluated') this.export(slo, outcome);
    // A broken SLI's last numbers were wrong too: take its series off /metrics.
    if (outcome.kind === 'failed' && outcome.reason === 'InvalidSli') this.forget(key);
    if (outcome.kind === 'failed')
      log.warn('SLO not evaluated', {
        [LOG_FIELDS.reason]: outcome.reason,
        error: outcome.message,
      });
    const written = await this.writeStatus(slo, outcome, signal).catch((err: unknown) => {
      log.warn('SLO status not written', { error: errorMessage(err) });
      return false;
    });
    if (written) log.debug('SLO status written', { outcome: outcome.kind });
    return { key, outcome: outcome.kind, written };
  }

  private async measure(
    slo: ServiceLevelObjective,
    signal?: AbortSignal,
  ): Promise<SloEvaluationOutcome> {
    let windowText: string;
    try {
      validateSlo(slo.spec, 'spec');
      windowText = formatPromDuration(parseSloWindow(slo.spec.window ?? DEFAULT_SLO_WINDOW));
    } catch (err) {
      return { kind: 'failed', reason: 'InvalidSpec', message: errorMessage(err) };
    }
    const windows = sloWindows(windowText);
    try {
      // Settled in window order, so the condition names the same failure every time (the
      // first to answer would change from one pass to the next, and rewrite the status).
      const settled = await Promise.allSettled(windows.map((w) => this.counts(slo, w, signal)));
      const counts = settled.map((r) => {
        if (r.status === 'rejected') throw r.reason;
        return r.value;
      });
      // Checked in window order too: the first window where good exceeds total is named.
      for (const [i, w] of windows.entries()) {
        const c = counts[i];
        const message = c === undefined ? undefined : invalidSliMessage(c, w);
        if (message !== undefined) return { kind: 'failed', reason: 'InvalidSli', message };
      }
      const burnWindows: Record<string, EventCounts | undefined> = {};
      windows.forEach((w, i) => {
        if (w !== windowText) burnWindows[w] = counts[i];
      });
      const window = counts[windows.indexOf(windowText)] ?? { good: 0, total: 0 };
      return {
        kind: 'evaluated',
        status: computeSloStatus(slo.spec, windowText, { window, burnWindows }),
      };
    } catch (err) {
      return { kind: 'failed', reason: 'QueryFailed', message: errorMessage(err) };
    }
  }

  /**
   * The error ratio over one window as counts of a unit total; undefined without data.
   * NOTE: good and total go in ONE expression, as the generated recording rules write it, so
   * both are evaluated at the same instant: two requests a moment apart would extrapolate
   * rate() to two different ends and skew the ratio.
   */
  private async counts(
    slo: ServiceLevelObjective,
    window: string,
    signal?: AbortSignal,
  ): Promise<EventCounts | undefined> {
    const good = renderWindow(slo.spec.sli.goodQuery, window);
    const total = renderWindow(slo.spec.sli.totalQuery, window);
    const ratio = await this.scalar(
      `((${total}) - (${good})) / (${total})`,
      `spec.sli error ratio over ${window}`,
      signal,
    );
    // NaN (no events) and an empty answer (a query matched no series) are both no data.
    return ratio === undefined ? undefined : { good: 1 - ratio, total: 1 };
  }

  private async scalar(
    query: string,
    what: string,
    signal?: AbortSignal,
  ): Promise<number | undefined> {
    const answer = await this.o.provider.measure({
      query,
      address: this.o.prometheusUrl,
      timeoutMs: this.o.queryTimeoutMs ?? 10_000,
      signal,
    });
    if (answer.kind === 'error') throw new SluiceError('MetricQuery', `${what}: ${answer.message}`);
    if (answer.values.length > 1)
      throw new InvalidSpecError(
        what,
        `returned ${answer.values.length} series; it must return one (wrap it in sum())`,
      );
    const value = answer.values[0];
    return value === undefined || !Number.isFinite(value) ? undefined : value;
  }

  /** PUT /status with the cached resourceVersion; on a conflict, re-read and try again. */
  private async writeStatus(
    slo: ServiceLevelObjective,
    outcome: SloEvaluationOutcome,
    signal?: AbortSignal,
  ): Promise<boolean> {
    let current = slo;
    for (let attempt = 1; ; attempt++) {
      const now = this.o.now?.() ?? new Date();
      const next = nextSloStatus({
        previous: current.status,
        outcome,
        now,
        generation: current.metadata.generation,
      });
      // A fresh evaluation refreshes evaluatedAt now and then even when nothing else moved;
      // a failure changes only the condition, so an unchanged one is not written again.
      const refresh = outcome.kind === 'evaluated' && this.stale(current, now);
      if (!sloStatusDiffers(current.status, next) && !refresh) return false;
      try {
        await this.o.access.updateStatus({ ...current, status: next }, { signal });
        return true;
      } catch (err) {
        if (!(err instanceof SluiceError && err.code === 'Conflict') || attempt >= 3) throw err;
        current = await this.o.access.get(
          { namespace: slo.metadata.namespace, name: slo.metadata.name },
          { signal },
        );
      }
    }
  }

  private stale(slo: ServiceLevelObjective, now: Date): boolean {
    const at = Date.parse(slo.status?.evaluatedAt ?? '');
    const refresh = this.o.refreshMs ?? sloRefreshMs(this.intervalMs);
    return !Number.isFinite(at) || now.getTime() - at >= refresh;
  }

  private export(
    slo: ServiceLevelObjective,
    outcome: Extract<SloEvaluationOutcome, { kind: 'evaluated' }>,
  ): void {
    const key = keyOf(slo);
    const labels = {
      namespace: slo.metadata.namespace ?? 'default',
      slo: slo.metadata.name,
      service: slo.spec.service,
    };
    const old = this.exported.get(key);
    if (old && (old.service !== labels.service || old.namespace !== labels.namespace))
      this.forget(key);
    this.metrics.objective.set(labels, slo.spec.objective / 100);
    const { budget, burnRates } = outcome.status;
    if (budget.errorRatio === undefined) this.metrics.budgetRemaining.remove(labels);
    else this.metrics.budgetRemaining.set(labels, budget.remaining);
    const windows: string[] = [];
    for (const [window, rate] of Object.entries(burnRates)) {
      windows.push(window);
      if (rate === undefined) this.metrics.burnRate.remove({ ...labels, window });
      else this.metrics.burnRate.set({ ...labels, window }, rate);
    }
    this.exported.set(key, { ...labels, windows });
  }

  /** Removes every series of an SLO that is gone (or changed its labels). */
  private forget(key: string): void {
    const s = this.exported.get(key);
    if (!s) return;
    const labels = { namespace: s.namespace, slo: s.slo, service: s.service };
    this.metrics.objective.remove(labels);
    this.metrics.budgetRemaining.remove(labels);
    for (const window of s.windows) this.metrics.burnRate.remove({ ...labels, window });
    this.exported.delete(key);
  }
}

function keyOf(slo: ServiceLevelObjective): string {
  return `${slo.metadata.namespace ?? 'default'}/${slo.metadata.name}`;
}
