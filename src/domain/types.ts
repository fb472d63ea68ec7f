// The typed model of Sluice's resources. Everything here is data that has already passed
// validation at a boundary (see adapters/kubernetes/parse.ts); inside, these types are trusted.
// NOTE: manifests/crds/*.yaml must describe exactly these shapes; change both together.

import type { ComparisonResult, LocationTestState, RateTestState } from './stats/index.js';

export const GROUP = 'sluice.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A Go-style duration: "500ms", "30s", "5m", "1h", "1h30m". Parsed by parseDuration. */
export type Duration = string;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Analysis

export const NO_DATA_POLICIES = ['pass', 'fail', 'inconclusive'] as const;
/** What an empty result, NaN or ±Inf counts as. Default 'inconclusive'. */
export type NoDataPolicy = (typeof NO_DATA_POLICIES)[number];

export interface PrometheusProvider {
  /** Defaults to the controller's configured Prometheus URL. */
  address?: string;
  /** PromQL; `{{args.name}}` placeholders are replaced before the query is sent. */
  query: string;
}

export interface MetricSpec {
  name: string;
  /** Time between measurements. Default: the Rollout's analysis.interval, else 30s. */
  interval?: Duration;
  /** Wait before the first measurement. Default 0. */
  initialDelay?: Duration;
  /** Measurements to take; the metric is done after `count` non-error measurements. 0 = until the run is ended (background analysis). */
  count?: number;
  /** Expression; true means Successful. */
  successCondition?: string;
  /** Expression; true means Failed. Checked before successCondition. */
  failureCondition?: string;
  /** Failed measurements tolerated; the (N+1)th fails the metric. Default 0. */
  failureLimit?: number;
  /** Inconclusive measurements tolerated; the (N+1)th makes the metric Inconclusive. Default 0. */
  inconclusiveLimit?: number;
  /** Errors in a row tolerated; the (N+1)th fails the metric. Default 4. */
  consecutiveErrorLimit?: number;
  noData?: NoDataPolicy;
  /** Per-query timeout. Default 10s. */
  timeout?: Duration;
  /** A query judged by the conditions. Exactly one of provider, compare and burnRate. */
  provider?: { prometheus: PrometheusProvider };
  /** Canary against baseline (see docs/statistics.md); no conditions. */
  compare?: CompareSpec;
  /** Multi-window burn rate of an SLO (see docs/statistics.md); no conditions. */
  burnRate?: BurnRateSpec;
}

export const COMPARE_TESTS = ['sequential', 'mannWhitney'] as const;
/** sequential: valid at every look, may fail early; mannWhitney: one test at the last look. */
export type CompareTest = (typeof COMPARE_TESTS)[number];

export const COMPARE_METRICS = ['errorRate', 'latency'] as const;
export type CompareMetric = (typeof COMPARE_METRICS)[number];

/** PromQL for one side; errorRate needs requests and errors, latency needs latency. */
export interface CompareQueries {
  /** Requests in the interval, e.g. sum(increase(...[{{interval}}])). */
  requests?: string;
  /** Bad requests in the interval (5xx, or requests slower than a bucket). */
  errors?: string;
  /** One latency value for the interval (e.g. a p99), in any unit, the same on both sides. */
  latency?: string;
}

export interface CompareSpec {
  test: CompareTest;
  metric: CompareMetric;
  /**
   * Written once: `{{workload}}` becomes the target Deployment's name for the canary and
   * `<rollout>-baseline` for the baseline; `{{interval}}` becomes the metric's interval.
   */
  queries?: CompareQueries;
  /** Replaces `queries` for the canary side; the run's spec holds both sides resolved. */
  canary?: CompareQueries;
  baseline?: CompareQueries;
  /** Type I error bound. Default 0.005 (sequential), 0.05 (mannWhitney). */
  alpha?: number;
  /** The ratio canary/baseline still counted as no worse. Default 1. */
  margin?: number;
  /**
   * Evidence needed for a verdict: samples per side (mannWhitney, default 3), or looks with data
   * on both sides before the last look may pass (sequential, default 2).
   */
  minSamples?: number;
}

/** A window pair: fails when both windows burn faster than factor. */
export interface BurnRateWindow {
  long: Duration;
  short: Duration;
  factor: number;
}

export interface BurnRateSpec {
  /** A ServiceLevelObjective in the namespace; copied into the run when it starts. */
  slo?: string;
  /** Inline SLI (or the SLO's, once resolved): PromQL with `{{window}}` where the range goes. */
  sli?: { goodQuery: string; totalQuery: string };
  /** Percent good, 0 < objective < 100 (inline, or the SLO's once resolved). */
  objective?: number;
  /** Default DEFAULT_BURN_RATE_WINDOWS (src/domain/burn-rate.ts). */
  windows?: BurnRateWindow[];
}

export interface AnalysisArgDecl {
  name: string;
  /** A default; an argument without one must be supplied by the Rollout. */
  value?: string;
}

export interface AnalysisTemplateSpec {
  args?: AnalysisArgDecl[];
  metrics: MetricSpec[];
}

export interface AnalysisTemplate {
  apiVersion: typeof API_VERSION;
  kind: 'AnalysisTemplate' | 'ClusterAnalysisTemplate';
  metadata: ObjectMeta;
  spec: AnalysisTemplateSpec;
}

export interface AnalysisArg {
  name: string;
  value: string;
}

export interface TemplateRef {
  templateName: string;
  /** true: a ClusterAnalysisTemplate. */
  clusterScope?: boolean;
}

export interface AnalysisRef {
  templates: TemplateRef[];
  args?: AnalysisArg[];
}

export const MEASUREMENT_PHASES = ['Successful', 'Failed', 'Inconclusive', 'Error'] as const;
export type MeasurementPhase = (typeof MEASUREMENT_PHASES)[number];

export interface Measurement {
  phase: MeasurementPhase;
  /** The values Prometheus returned (a scalar is one value). Absent on Error. */
  value?: number[];
  /** true when the answer was empty, NaN or ±Inf; the phase then follows the noData policy. */
  noData?: boolean;
  startedAt: string;
  finishedAt: string;
  /** Why: the error text, "no data: empty result", or which condition decided. */
  message?: string;
}

export const ANALYSIS_PHASES = [
  'Pending',
  'Running',
  'Successful',
  'Failed',
  'Inconclusive',
  'Error',
  'Terminated',
] as const;
export type AnalysisPhase = (typeof ANALYSIS_PHASES)[number];

export interface MetricResult {
  name: string;
  phase: AnalysisPhase;
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  consecutiveError: number;
  message?: string;
  /** Newest last; bounded (see MAX_MEASUREMENTS). */
  measurements: Measurement[];
  /** A compare metric's test state (kept between looks) and its latest result. */
  comparison?: MetricComparison;
}

export interface MetricComparison {
  state: ComparisonState;
  result?: ComparisonResult;
}

/** Plain JSON: the sequential tests' sums, or Mann-Whitney's samples so far. */
export interface ComparisonState {
  looks: number;
  rate?: RateTestState;
  location?: LocationTestState;
  samples?: { canary: number[]; baseline: number[] };
}

export const MAX_MEASUREMENTS = 10;

export interface AnalysisRunSpec {
  rollout: string;
  revision: string;
  /** The canary step index this run belongs to, or -1 for background analysis. */
  step: number;
  metrics: MetricSpec[];
  args?: AnalysisArg[];
}

export interface AnalysisRunStatus {
  phase: AnalysisPhase;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  metricResults: MetricResult[];
}

export interface AnalysisRun {
  apiVersion: typeof API_VERSION;
  kind: 'AnalysisRun';
  metadata: ObjectMeta;
  spec: AnalysisRunSpec;
  status?: AnalysisRunStatus;
}

// ---------------------------------------------------------------------------------------------
// Rollout

export interface AnalysisDefaults {
  interval?: Duration;
  timeout?: Duration;
  noData?: NoDataPolicy;
  failureLimit?: number;
  inconclusiveLimit?: number;
  consecutiveErrorLimit?: number;
}

export interface HeaderMatch {
  /** Header name, lower case; or a cookie when `cookie` is set. */
  header?: string;
  cookie?: string;
  exact?: string;
  prefix?: string;
  regex?: string;
}

export const GATE_TIMEOUT_ACTIONS = ['abort', 'pause'] as const;
export type GateTimeoutAction = (typeof GATE_TIMEOUT_ACTIONS)[number];

export type CanaryStep =
  | { setWeight: number }
  | { pause: { duration?: Duration } }
  | { analysis: AnalysisRef }
  | { setFlag: { flag: string; percent: number } }
  | { setHeaderRoute: { match: HeaderMatch[] } }
  | {
      gate: {
        url: string;
        /** Per-call limit. Default 10s. */
        timeout?: Duration;
        /** How often to ask. Default 30s. */
        interval?: Duration;
        /** Give up after this long at the step. Default 1h. */
        deadline?: Duration;
        onDeadline?: GateTimeoutAction;
      };
    };

export const STEP_KINDS = [
  'setWeight',
  'pause',
  'analysis',
  'setFlag',
  'setHeaderRoute',
  'gate',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface BackgroundAnalysis extends AnalysisRef {
  /** Step index from which the background analysis runs. Default 0. */
  startingStep?: number;
}

export interface CanaryStrategy {
  steps: CanaryStep[];
  analysis?: BackgroundAnalysis;
  /** Runs `<name>-baseline` (the stable template at the canary's size) during a rollout. */
  baseline?: { enabled: boolean };
}

export interface BlueGreenStrategy {
  prePromotionAnalysis?: AnalysisRef;
  postPromotionAnalysis?: AnalysisRef;
  /** Absent: wait for an explicit promote. */
  autoPromotionSeconds?: number;
  scaleDownDelaySeconds?: number;
  previewReplicaCount?: number;
  previewHeader?: HeaderMatch;
}

export interface IstioRouting {
  virtualService: {
    name: string;
    /** The HTTP route names inside it that Sluice may change. */
    routes: string[];
  };
}

export const FLAG_MODES = ['followWeight', 'steps'] as const;
export type FlagMode = (typeof FLAG_MODES)[number];

export interface FeatureFlagRef {
  name: string;
  project?: string;
  environment?: string;
  mode?: FlagMode;
  /** Rollout percentage set on promotion. Default 100. */
  finalPercent?: number;
}

export interface RolloutSpec {
  targetRef: { apiVersion?: string; kind: 'Deployment'; name: string };
  /** Ports for the `<name>-primary` and `<name>-canary` Services. */
  service?: { port: number; targetPort?: number };
  /** A candidate that is not available within this long is rolled back. Default 600. */
  progressDeadlineSeconds?: number;
  trafficRouting: { istio: IstioRouting };
  strategy: { canary?: CanaryStrategy; blueGreen?: BlueGreenStrategy };
  analysis?: AnalysisDefaults;
  featureFlags?: FeatureFlagRef[];
  budgetPolicy?: RolloutBudgetPolicy;
}

/**
 * New revisions wait in BudgetFrozen while the named ServiceLevelObjective's remaining error
 * budget is at or below `freezeBelow`, unless an operator overrides with a reason.
 */
export interface RolloutBudgetPolicy {
  /** A ServiceLevelObjective in the Rollout's namespace. */
  slo: string;
  /** Freeze at or below this remaining share of the budget (1 = untouched). Default 0. */
  freezeBelow?: number;
  /** No budget known (SLO missing, not evaluated, no data): 'allow' (default) or 'freeze'. */
  onUnknown?: 'allow' | 'freeze';
}

export const ROLLOUT_PHASES = [
  'Initializing',
  'Healthy',
  'Progressing',
  'Paused',
  'Promoting',
  'Aborted',
  'Invalid',
  /** A new revision waits: the service's error budget is spent (see spec.budgetPolicy). */
  'BudgetFrozen',
] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** One destination of an HTTP route, as Sluice identifies it. */
export interface DestinationKey {
  host: string;
  subset?: string;
  port?: number;
}

export interface RouteWeights {
  route: string;
  destinations: Array<DestinationKey & { weight: number }>;
}

export interface LastMeasurement {
  metric: string;
  phase: MeasurementPhase;
  value?: number[];
  /** The condition the value was judged against, e.g. "result[0] >= 0.95". */
  condition?: string;
  message?: string;
  at: string;
  /** A compare metric's latest result (statistic, p-value or bound, effect, sample sizes). */
  comparison?: ComparisonResult;
}

export interface HistoryEntry {
  at: string;
  event: string;
  revision?: string;
  step?: number;
  message?: string;
}

export const COMMAND_KINDS = [
  'promote',
  'promoteFull',
  'abort',
  'pause',
  'resume',
  'retry',
  /** Start a rollout the budget policy holds in BudgetFrozen; needs a reason (audited). */
  'overrideBudget',
] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

export interface RolloutStatus {
  phase?: RolloutPhase;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  /** Pod-template hash of what `<name>-primary` runs. */
  stableRevision?: string;
  /** Pod-template hash of the target Deployment being rolled out. */
  canaryRevision?: string;
  /** Counts rollout starts (new revisions and retries); it keeps AnalysisRun names unique. */
  attempt?: number;
  currentStepIndex?: number;
  stepStartedAt?: string;
  /** Paused time that does not count toward a timed pause or the progress deadline, in ms. */
  pausedMs?: number;
  pausedAt?: string;
  weights?: { stable: number; canary: number };
  /** The managed routes as they were before Sluice first changed them in this rollout. */
  originalRoutes?: RouteWeights[];
  /** Names of the AnalysisRuns in use. */
  analysisRuns?: { step?: string; background?: string };
  lastMeasurements?: LastMeasurement[];
  /** The last request id handled, per command kind. */
  handledCommands?: Partial<Record<CommandKind, string>>;
  conditions?: Condition[];
  history?: HistoryEntry[];
  /** Time the candidate was first seen not available in this rollout (progress deadline). */
  unavailableSince?: string;
  /** A full promotion was asked for; it happens once the candidate is available. */
  fullPromotionRequested?: boolean;
  /** The primary has taken the candidate's template: the promotion can no longer be aborted. */
  promotionCommitted?: boolean;
  /** The header route Sluice keeps while a setHeaderRoute step is in effect. */
  headerRoute?: { match: HeaderMatch[] };
  /** The phase to return to once an Invalid spec is fixed. */
  invalidFrom?: RolloutPhase;
  /** The feature flags as they were before this rollout first changed them (restored on abort). */
  featureFlags?: FlagRecord[];
  /** An abort still has to put the flags back (retried until done). */
  flagsRestorePending?: boolean;
  /** The error budget as the budget policy last saw it, and an operator's override. */
  budget?: RolloutBudgetStatus;
  /** `<name>-baseline` was created for this rollout and has not been removed yet. */
  baselineActive?: boolean;
  /** The candidate keeps running until then after traffic left it (promotion, abort). */
  drainUntil?: string;
}

export interface RolloutBudgetStatus {
  slo: string;
  /** Remaining share of the error budget; absent when unknown. */
  remaining?: number;
  evaluatedAt?: string;
  /** An operator let this revision start despite the freeze. */
  override?: { revision: string; reason: string; by?: string; at: string };
  /** While BudgetFrozen: the phase the new revision arrived in (decides what "start" means). */
  frozenFrom?: 'Healthy' | 'Aborted';
}

export interface FlagRecord {
  name: string;
  /** The flag's whole strategy state in its environment, as the flag provider returned it. */
  snapshot: Record<string, unknown>;
  /** The rollout percentage Sluice last set, if any. */
  percent?: number;
}

export interface Rollout {
  apiVersion: typeof API_VERSION;
  kind: 'Rollout';
  metadata: ObjectMeta;
  spec: RolloutSpec;
  status?: RolloutStatus;
}

/** Annotations that carry commands (see domain/commands.ts). */
export const COMMAND_ANNOTATION_PREFIX = 'sluice.dev/';
