import { decide } from '../../src/domain/rollout/decide.js';
import type { Action, Decision, Observed, RunState } from '../../src/domain/rollout/model.js';
import type {
  AnalysisPhase,
  BlueGreenStrategy,
  CanaryStep,
  CommandKind,
  RouteWeights,
  Rollout,
  RolloutSpec,
} from '../../src/domain/types.js';
import { COMMAND_ANNOTATIONS } from '../../src/domain/commands.js';

// An in-memory world for driving the pure state machine tick by tick: it applies each
// decision's actions the way the controller would, and records every route written.

export interface WorldOptions {
  steps: CanaryStep[];
  background?: boolean;
  legacyWeight?: number;
  progressDeadlineSeconds?: number;
  /** A blue-green rollout instead of a canary one (`steps` is then ignored). */
  blueGreen?: BlueGreenStrategy;
}

export class World {
  now = Date.parse('2026-01-01T00:00:00Z');
  rollout: Rollout;
  target = { revision: 'rev1', replicas: 3, healthy: true };
  primary: { revision: string; replicas: number; available: boolean } | undefined;
  routes: RouteWeights[];
  headerRoute = false;
  runs = new Map<string, RunState>();
  /** What a new analysis run finishes as, when the test does not set it. */
  defaultRunPhase: AnalysisPhase = 'Running';
  written: RouteWeights[][] = [];
  /** Flag percentages as the flag system holds them. */
  flags = new Map<string, number>();
  /** Every flag write with the canary weight routed at that moment. */
  flagLog: Array<{ flag: string; percent: number; canary: number }> = [];
  actions: Action[] = [];
  decisions: Decision[] = [];
  private seq = 0;
  private pendingStatus: Partial<NonNullable<Rollout['status']>> | undefined;

  constructor(opts: WorldOptions) {
    const spec: RolloutSpec = {
      targetRef: { kind: 'Deployment', name: 'shop' },
      progressDeadlineSeconds: opts.progressDeadlineSeconds ?? 600,
      trafficRouting: { istio: { virtualService: { name: 'shop', routes: ['primary'] } } },
      strategy: opts.blueGreen
        ? { blueGreen: opts.blueGreen }
        : {
            canary: {
              steps: opts.steps,
              ...(opts.background ? { analysis: { templates: [{ templateName: 'bg' }] } } : {}),
            },
          },
    };
    this.rollout = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'shop', namespace: 'demo', generation: 1, annotations: {} },
      spec,
    };
    const legacy = opts.legacyWeight ?? 0;
    this.routes = [
      {
        route: 'primary',
        destinations: [
          { host: 'shop-primary', weight: 100 - legacy },
          { host: 'shop-canary', weight: 0 },
          ...(legacy > 0 ? [{ host: 'legacy', subset: 'v0', port: 8080, weight: legacy }] : []),
        ],
      },
    ];
  }

  observe(): Observed {
    const available = this.target.healthy && this.target.replicas > 0;
    const status = this.rollout.status ?? {};
    const run = (name: string | undefined) => (name ? this.runs.get(name) : undefined);
    const pending = Object.entries(COMMAND_ANNOTATIONS).flatMap(([kind, key]) => {
      const raw = this.rollout.metadata.annotations?.[key];
      if (!raw) return [];
      const cmd = JSON.parse(raw) as { id: string; step?: number; reason?: string };
      return status.handledCommands?.[kind as CommandKind] === cmd.id
        ? []
        : [{ kind: kind as CommandKind, ...cmd }];
    });
    const order: CommandKind[] = ['abort', 'retry', 'pause', 'resume', 'promoteFull', 'promote'];
    pending.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
    return {
      now: this.now,
      target: {
        revision: this.target.revision,
        replicas: this.target.replicas,
        available,
        availableReplicas: available ? this.target.replicas : 0,
      },
      primary: this.primary && {
        ...this.primary,
        availableReplicas: this.primary.available ? this.primary.replicas : 0,
      },
      routes: { ok: true, routes: structuredClone(this.routes), headerRoute: this.headerRoute },
      stepRun: run(status.analysisRuns?.step),
      backgroundRun: run(status.analysisRuns?.background),
      commands: pending,
      specProblems: [],
    };
  }

  /** One reconcile: decide, apply the actions, keep the status. */
  tick(): Decision {
    const decision = decide(this.rollout, this.observe());
    for (const a of decision.actions) this.apply(a);
    if (this.pendingStatus) Object.assign(decision.status, this.pendingStatus);
    this.pendingStatus = undefined;
    this.rollout = { ...this.rollout, status: decision.status };
    this.decisions.push(decision);
    return decision;
  }

  /** Reconciles until nothing is asked to happen at once (or `max` ticks). */
  settle(max = 40): void {
    for (let i = 0; i < max; i++) {
      const d = this.tick();
      if (d.requeueAfterMs === undefined || d.requeueAfterMs > 0) {
        if (d.actions.length === 0 && !d.statusChanged) return;
      }
    }
  }

  advance(ms: number): void {
    this.now += ms;
  }

  command(kind: CommandKind, extra: { step?: number; reason?: string } = {}): string {
    const id = `c${++this.seq}`;
    this.rollout.metadata.annotations = {
      ...this.rollout.metadata.annotations,
      [COMMAND_ANNOTATIONS[kind]]: JSON.stringify({ id, ...extra }),
    };
    return id;
  }

  newRevision(rev: string): void {
    this.target.revision = rev;
  }

  finishRuns(phase: AnalysisPhase, message = `finished ${phase}`): void {
    for (const [name, r] of this.runs)
      if (r.phase === 'Running') this.runs.set(name, { ...r, phase, message });
  }

  get phase(): string | undefined {
    return this.rollout.status?.phase;
  }

  canaryWeight(): number {
    return this.routes[0]?.destinations.find((d) => d.host === 'shop-canary')?.weight ?? -1;
  }

  private apply(a: Action): void {
    this.actions.push(a);
    switch (a.kind) {
      case 'ensurePrimary':
        this.primary ??= { revision: this.target.revision, replicas: a.replicas, available: true };
        return;
      case 'promotePrimary':
        if (this.primary) this.primary.revision = this.target.revision;
        return;
      case 'scaleCandidate':
        this.target.replicas = a.replicas;
        return;
      case 'writeRoutes':
        this.routes = structuredClone(a.routes);
        this.written.push(structuredClone(a.routes));
        return;
      case 'setHeaderRoute':
        this.headerRoute = true;
        return;
      case 'removeHeaderRoute':
        this.headerRoute = false;
        return;
      case 'startAnalysis':
        if (!this.runs.has(a.name))
          this.runs.set(a.name, { name: a.name, phase: this.defaultRunPhase, measurements: [] });
        return;
      case 'terminateAnalysis': {
        const r = this.runs.get(a.name);
        if (r && r.phase === 'Running') this.runs.set(a.name, { ...r, phase: 'Terminated' });
        return;
      }
      case 'snapshotFlags':
        // As the controller does: what the action learned goes onto the status it writes.
        this.pendingStatus = {
          featureFlags: a.flags.map((f) => ({
            name: f.name,
            snapshot: { percent: this.flags.get(f.name) ?? 0 },
          })),
        };
        return;
      case 'setFlag':
        this.flags.set(a.flag.name, a.percent);
        this.flagLog.push({ flag: a.flag.name, percent: a.percent, canary: this.canaryWeight() });
        return;
      case 'restoreFlags':
        for (const s of a.snapshots) this.flags.set('checkout-v2', Number(s['percent']));
        return;
      case 'ensureBaseline':
      case 'removeBaseline':
        // The baseline Deployment carries no traffic decision; the baseline tests check it.
        return;
      default: {
        const never: never = a;
        throw new Error(`unknown action ${JSON.stringify(never)}`);
      }
    }
  }
}
