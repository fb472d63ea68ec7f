import type { Command } from '../commands.js';
import type {
  FeatureFlagRef,
  AnalysisPhase,
  AnalysisRef,
  HeaderMatch,
  LastMeasurement,
  RouteWeights,
} from '../types.js';

// What the controller observed of the world for one reconcile, and what the state machine
// decided. The domain never reads a clock: `now` comes in here.

export interface WorkloadState {
  /** Pod-template hash. */
  revision: string;
  /** spec.replicas. */
  replicas: number;
  /** Finished rolling out: observedGeneration >= generation and every replica updated and available. */
  available: boolean;
  availableReplicas: number;
}

export interface RunState {
  name: string;
  phase: AnalysisPhase;
  message?: string | undefined;
  measurements: LastMeasurement[];
}

export interface GateState {
  approved: boolean;
  checkedAt: number;
  message?: string | undefined;
}

export interface SpecProblem {
  field: string;
  message: string;
}

export interface Observed {
  now: number;
  target: WorkloadState | undefined;
  primary: WorkloadState | undefined;
  /** The managed routes as read from the VirtualService, or the reason they could not be read. */
  routes:
    | { ok: true; routes: RouteWeights[]; headerRoute: boolean }
    | { ok: false; message: string; missing: boolean; field?: string | undefined };
  stepRun?: RunState | undefined;
  backgroundRun?: RunState | undefined;
  gate?: GateState | undefined;
  commands: Command[];
  specProblems: SpecProblem[];
  /** The error budget of spec.budgetPolicy.slo; read only when a new rollout may start. */
  budget?: BudgetObservation | undefined;
}

export interface BudgetObservation {
  slo: string;
  /** false: no such ServiceLevelObjective. */
  found: boolean;
  /** Remaining share of the budget; undefined when not evaluated or no data. */
  remaining?: number | undefined;
  evaluatedAt?: string | undefined;
}

export type Action =
  /** Create `<name>-primary` from the target's template if it does not exist. */
  | { kind: 'ensurePrimary'; replicas: number }
  /** The primary takes the target's pod template (promotion). */
  | { kind: 'promotePrimary' }
  | { kind: 'scaleCandidate'; replicas: number }
  | { kind: 'writeRoutes'; routes: RouteWeights[]; why: string }
  | { kind: 'setHeaderRoute'; match: HeaderMatch[] }
  | { kind: 'removeHeaderRoute' }
  | { kind: 'startAnalysis'; name: string; step: number; analysis: AnalysisRef }
  | { kind: 'terminateAnalysis'; name: string; message: string }
  /** Records each flag's whole state before the first change (the controller stores it on status). */
  | { kind: 'snapshotFlags'; flags: FeatureFlagRef[] }
  | { kind: 'setFlag'; flag: FeatureFlagRef; percent: number }
  | { kind: 'restoreFlags'; snapshots: Array<Record<string, unknown>> }
  /** Run `<name>-baseline` with the primary's (stable) template at this many replicas. */
  | { kind: 'ensureBaseline'; replicas: number }
  /** Delete `<name>-baseline` if it exists (promotion, abort). */
  | { kind: 'removeBaseline' };

export type ActionKind = Action['kind'];

export const REASONS = [
  'Initialized',
  'RolloutStarted',
  'WeightSet',
  'WeightCapped',
  'StepCompleted',
  'PausedByStep',
  'PausedByCommand',
  'Resumed',
  'AnalysisStarted',
  'AnalysisInconclusive',
  'AnalysisFailed',
  'AnalysisSuccessful',
  'WaitingForCandidate',
  'ProgressDeadlineExceeded',
  'GateTimeout',
  'WaitingForGate',
  'Promoting',
  'Promoted',
  'Aborted',
  'RetryRequested',
  'RevisionChanged',
  'RevertedToStable',
  'CommandIgnored',
  'InvalidSpec',
  'SpecFixed',
  'TrafficRoutingError',
  'HeaderRouteSet',
  'FlagSet',
  // Blue-green (see blue-green.ts).
  'PreviewReady',
  'WaitingForPromotion',
  'TrafficSwitched',
  'OldVersionScaledDown',
  'SwitchedBack',
  // Budget policy (see budget.ts).
  'BudgetFrozen',
  'BudgetOverridden',
  'BudgetAvailable',
  'BudgetUnknown',
  'WeightsRestored',
] as const;
export type Reason = (typeof REASONS)[number];

export interface Transition {
  type: 'Normal' | 'Warning';
  reason: Reason;
  message: string;
}

export interface Decision {
  actions: Action[];
  transitions: Transition[];
  /** Absent when nothing in the status changed. */
  status: import('../types.js').RolloutStatus;
  statusChanged: boolean;
  requeueAfterMs?: number | undefined;
}
