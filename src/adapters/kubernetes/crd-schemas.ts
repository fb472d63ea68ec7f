import { COMPARISON_TESTS, DECISIONS, EFFECT_KINDS } from '../../domain/stats/result.js';
import { MAX_SLI_QUERY_LENGTH, SLO_WINDOW_PATTERN } from '../../domain/slo/index.js';
import {
  ANALYSIS_PHASES,
  COMPARE_METRICS,
  COMPARE_TESTS,
  COMMAND_KINDS,
  FLAG_MODES,
  GATE_TIMEOUT_ACTIONS,
  MAX_MEASUREMENTS,
  MEASUREMENT_PHASES,
  NO_DATA_POLICIES,
  ROLLOUT_PHASES,
  STEP_KINDS,
} from '../../domain/types.js';

// The OpenAPI v3 schemas of Sluice's custom resources, in the structural form Kubernetes
// requires (every node typed, no additionalProperties next to properties). They are the single
// source for manifests/crds/*.yaml (scripts/gen-crds.ts) and for parse.ts.
// NOTE: these must describe exactly the shapes in src/domain/types.ts; change both together.
// test/unit/manifests/schema-types.test.ts compares the two with the TypeScript checker. The
// file is long only because it holds one declaration per field; the kinds share most pieces.

export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  enum?: readonly string[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** A Go-style duration ("500ms", "30s", "1h30m") or a bare number of seconds. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$|^[0-9]+$';
const MAX_DELAY_SECONDS = 7 * 24 * 3600;

const str = (description: string, extra: JsonSchema = {}): JsonSchema => ({
  type: 'string',
  description,
  ...extra,
});
const name = (description: string): JsonSchema => str(description, { minLength: 1 });
const int = (description: string, minimum?: number, maximum?: number): JsonSchema => ({
  type: 'integer',
  description,
  ...(minimum === undefined ? {} : { minimum }),
  ...(maximum === undefined ? {} : { maximum }),
});
const bool = (description: string): JsonSchema => ({ type: 'boolean', description });
const duration = (description: string): JsonSchema =>
  str(`${description} A duration such as "500ms", "30s", "5m" or "1h30m".`, {
    pattern: DURATION_PATTERN,
  });
const time = (description: string): JsonSchema => str(description, { format: 'date-time' });
const oneOf = (description: string, values: readonly string[]): JsonSchema =>
  str(`${description} One of: ${values.join(', ')}.`, { enum: values });
const obj = (
  description: string,
  properties: Record<string, JsonSchema>,
  required: string[] = [],
  extra: JsonSchema = {},
): JsonSchema => ({
  type: 'object',
  description,
  properties,
  ...(required.length > 0 ? { required } : {}),
  ...extra,
});
const list = (description: string, items: JsonSchema, extra: JsonSchema = {}): JsonSchema => ({
  type: 'array',
  description,
  items,
  ...extra,
});
/** A list keyed by `name`: Kubernetes rejects two items with the same name. */
const namedList = (description: string, items: JsonSchema, extra: JsonSchema = {}) =>
  list(description, items, {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
    ...extra,
  });
const stringMap = (description: string): JsonSchema => ({
  type: 'object',
  description,
  additionalProperties: { type: 'string' },
});
const percent = (description: string) => int(`${description} An integer from 0 to 100.`, 0, 100);
const limit = (description: string) => int(`${description} An integer >= 0.`, 0);

// ---------------------------------------------------------------------------------------------
// Analysis

const noData = oneOf(
  'What an empty result, NaN or ±Inf counts as. Default inconclusive.',
  NO_DATA_POLICIES,
);

const compareQueries = (description: string) =>
  obj(description, {
    requests: str('Requests in the interval, e.g. sum(increase(...[{{interval}}])).'),
    errors: str('Bad requests in the interval: 5xx answers, or requests slower than a bucket.'),
    latency: str('One latency value for the interval (e.g. a p99), the same unit on both sides.'),
  });

const compareSpec = obj(
  'Canary against baseline (docs/statistics.md). Give no conditions: the test judges.',
  {
    test: oneOf(
      'sequential: valid at every look, can fail early; mannWhitney: one test at the last look.',
      COMPARE_TESTS,
    ),
    metric: oneOf(
      'errorRate needs requests and errors queries; latency needs latency.',
      COMPARE_METRICS,
    ),
    queries: compareQueries(
      'Written once: {{workload}} becomes the target Deployment for the canary and <rollout>-baseline for the baseline; {{interval}} the metric interval.',
    ),
    canary: compareQueries(
      'Replaces queries for the canary side (a run holds both sides resolved).',
    ),
    baseline: compareQueries('Replaces queries for the baseline side.'),
    alpha: {
      type: 'number',
      description: 'Type I error bound. Default 0.005 (sequential), 0.05 (mannWhitney).',
      minimum: 0,
      maximum: 0.5,
    },
    margin: {
      type: 'number',
      description: 'Ratio canary/baseline still counted as no worse. Default 1.',
      minimum: 0,
    },
    minSamples: int(
      'Looks with data on both sides needed before a pass (sequential, default 2) or a verdict (mannWhitney, samples per side, default 3).',
      1,
    ),
  },
  ['test', 'metric'],
);

/** Prometheus range units, as burn-rate windows use them: "1m", "1h", "3d". */
const BURN_WINDOW_PATTERN = '^([0-9]+(ms|s|m|h|d|w))+$';

const burnRateSpec = obj(
  "Fails when, for any window pair, both windows burn the SLO's error budget faster than factor.",
  {
    slo: str(
      'A ServiceLevelObjective in the namespace; its SLI and objective are copied into the run.',
    ),
    sli: obj(
      'Inline SLI instead of slo: PromQL with {{window}} where the range goes.',
      {
        goodQuery: name('The rate of good events over [{{window}}].'),
        totalQuery: name('The rate of all events over [{{window}}].'),
      },
      ['goodQuery', 'totalQuery'],
    ),
    objective: {
      type: 'number',
      description: 'Percent of good events, strictly between 0 and 100 (with sli).',
      minimum: 0,
      maximum: 100,
    },
    windows: list(
      'Window pairs. Default: 5m/1m at 14.4, 1h/5m at 14.4, 6h/30m at 6.',
      obj(
        'A window pair.',
        {
          long: str('Long window, e.g. "1h".', { pattern: BURN_WINDOW_PATTERN }),
          short: str('Short window, e.g. "5m".', { pattern: BURN_WINDOW_PATTERN }),
          factor: { type: 'number', description: 'Burn-rate threshold, e.g. 14.4.', minimum: 0 },
        },
        ['long', 'short', 'factor'],
      ),
      { minItems: 1 },
    ),
  },
);

const metricSpec = obj(
  'One metric: a Prometheus query judged by its conditions, a canary-versus-baseline comparison (compare), or an SLO burn rate (burnRate). Exactly one of provider, compare and burnRate.',
  {
    name: name('Metric name, unique within the template.'),
    interval: duration(
      "Time between measurements. Default: the Rollout's spec.analysis.interval, else 30s.",
    ),
    initialDelay: duration('Wait before the first measurement. Default 0.'),
    count: limit(
      'Measurements to take; the metric is done after this many non-error measurements. 0 measures until the run is ended (background analysis).',
    ),
    successCondition: str(
      'Expression over `result` (the returned values; result[0] is the first); true means Successful. Example: "result[0] >= 0.99".',
    ),
    failureCondition: str(
      'Expression over `result`; true means Failed. Checked before successCondition.',
    ),
    failureLimit: limit('Failed measurements tolerated; one more fails the metric. Default 0.'),
    inconclusiveLimit: limit(
      'Inconclusive measurements tolerated; one more makes the metric Inconclusive. Default 0.',
    ),
    consecutiveErrorLimit: limit(
      'Query errors in a row tolerated; one more fails the metric. Default 4.',
    ),
    noData,
    timeout: duration('Per-query timeout. Default 10s.'),
    provider: obj(
      'Where the metric comes from.',
      {
        prometheus: obj(
          'A Prometheus instant query.',
          {
            address: str("Prometheus base URL. Default: the controller's --prometheus-url."),
            query: name('PromQL; {{args.<name>}} placeholders are replaced before sending.'),
          },
          ['query'],
        ),
      },
      ['prometheus'],
    ),
    compare: compareSpec,
    burnRate: burnRateSpec,
  },
  ['name'],
);

const argDecl = obj(
  'A template argument.',
  {
    name: name('Argument name, used as {{args.<name>}}.'),
    value: str('Default value; without one the Rollout must supply the argument.'),
  },
  ['name'],
);

const analysisArg = obj(
  'An argument value passed to the templates.',
  { name: name('Argument name.'), value: str('Argument value.') },
  ['name', 'value'],
);

const analysisTemplateSpec = obj(
  'Named metrics with arguments.',
  {
    args: namedList('Arguments the queries use.', argDecl),
    metrics: namedList('Metrics measured by a run of this template.', metricSpec, {
      minItems: 1,
    }),
  },
  ['metrics'],
);

const analysisRefProps: Record<string, JsonSchema> = {
  templates: list(
    'Templates to run together.',
    obj(
      'A reference to an AnalysisTemplate in the Rollout namespace or a ClusterAnalysisTemplate.',
      {
        templateName: name('Template name.'),
        clusterScope: bool('true: the name refers to a ClusterAnalysisTemplate.'),
      },
      ['templateName'],
    ),
    { minItems: 1 },
  ),
  args: namedList('Argument values for the templates.', analysisArg),
};
const analysisRef = (description: string) => obj(description, analysisRefProps, ['templates']);

const measurement = obj(
  'One measurement.',
  {
    phase: oneOf('Outcome.', MEASUREMENT_PHASES),
    value: list('The values Prometheus returned; absent on Error.', {
      type: 'number',
      description: 'A value.',
    }),
    noData: bool('true when the answer was empty, NaN or ±Inf.'),
    startedAt: time('When the query was sent.'),
    finishedAt: time('When the answer was judged.'),
    message: str('Why: the error text, the no-data reason, or the deciding condition.'),
  },
  ['phase', 'startedAt', 'finishedAt'],
);

const comparisonResult = obj(
  'The latest comparison of canary against baseline.',
  {
    test: oneOf('The test.', COMPARISON_TESTS),
    statistic: { type: 'number', description: 'U, or the log mixture likelihood ratio.' },
    pValue: { type: 'number', description: 'p-value; always-valid for sequential tests.' },
    bound: { type: 'number', description: 'Sequential: log(1/alpha), the level to fail.' },
    effect: { type: 'number', description: 'Estimated effect, in effectKind units.' },
    effectKind: oneOf('Unit of effect.', EFFECT_KINDS),
    nCanary: { type: 'number', description: 'Canary sample size (requests or looks).' },
    nBaseline: { type: 'number', description: 'Baseline sample size.' },
    decision: oneOf('fail, pass, or continue (look again).', DECISIONS),
  },
  ['test', 'statistic', 'pValue', 'effect', 'effectKind', 'nCanary', 'nBaseline', 'decision'],
);

const metricResult = obj(
  'Progress and outcome of one metric.',
  {
    name: name('Metric name.'),
    phase: oneOf('Metric phase.', ANALYSIS_PHASES),
    count: limit('Measurements taken.'),
    successful: limit('Successful measurements.'),
    failed: limit('Failed measurements.'),
    inconclusive: limit('Inconclusive measurements.'),
    error: limit('Error measurements.'),
    consecutiveError: limit('Errors in a row, reset by any non-error measurement.'),
    message: str('Why the metric is in this phase.'),
    measurements: list(`Newest last; at most ${MAX_MEASUREMENTS} kept.`, measurement, {
      maxItems: MAX_MEASUREMENTS,
    }),
    comparison: obj(
      'A compare metric: the test state kept between looks, and the latest result.',
      {
        state: {
          type: 'object',
          description: 'Test state (plain JSON): looks, and sums or samples so far.',
          'x-kubernetes-preserve-unknown-fields': true,
        },
        result: comparisonResult,
      },
      ['state'],
    ),
  },
  [
    'name',
    'phase',
    'count',
    'successful',
    'failed',
    'inconclusive',
    'error',
    'consecutiveError',
    'measurements',
  ],
);

// ---------------------------------------------------------------------------------------------
// Rollout

const headerMatch = (description: string) =>
  obj(
    `${description} Give exactly one of header or cookie, and exactly one of exact, prefix or regex.`,
    {
      header: str('Header name, lower case.'),
      cookie: str('Cookie name.'),
      exact: str('Matches this exact value.'),
      prefix: str('Matches values starting with this.'),
      regex: str('Matches values against this RE2 regular expression.'),
    },
  );

const canaryStep = obj(
  `One canary step. Give exactly one of: ${STEP_KINDS.join(', ')}.`,
  {
    setWeight: percent('Send this share of traffic to the candidate.'),
    pause: obj('Wait. Without a duration, wait for a promote.', {
      duration: duration('How long to wait.'),
    }),
    analysis: analysisRef('Run these templates; the step ends when the run succeeds.'),
    setFlag: obj(
      'Set an Unleash flag listed in spec.featureFlags to a rollout percentage.',
      {
        flag: name('Flag name.'),
        percent: percent('Rollout percentage.'),
      },
      ['flag', 'percent'],
    ),
    setHeaderRoute: obj(
      'Send requests that match to the candidate until the rollout ends.',
      { match: list('Matches; all must fit.', headerMatch('A header or cookie match.')) },
      ['match'],
    ),
    gate: obj(
      'Wait until an outside system approves: a GET to url answering 2xx opens the gate.',
      {
        url: name('http(s) URL asked for approval.'),
        timeout: duration('Per-call limit. Default 10s.'),
        interval: duration('How often to ask. Default 30s.'),
        deadline: duration('Give up after this long at the step. Default 1h.'),
        onDeadline: oneOf('What to do at the deadline. Default abort.', GATE_TIMEOUT_ACTIONS),
      },
      ['url'],
    ),
  },
  [],
  { minProperties: 1, maxProperties: 1 },
);

const canary = obj(
  'Move traffic to the candidate in steps.',
  {
    steps: list('The steps, in order.', canaryStep, { minItems: 1 }),
    analysis: obj(
      'Background analysis that runs across steps; failing it aborts the rollout.',
      {
        ...analysisRefProps,
        startingStep: limit('Step index from which it runs. Default 0.'),
      },
      ['templates'],
    ),
    baseline: obj(
      'Run <name>-baseline (the stable pod template at the canary replica count) while a rollout is in flight, for compare metrics. Its pods join the <name>-primary Service.',
      { enabled: bool('true: run the baseline.') },
      ['enabled'],
    ),
  },
  ['steps'],
);

const blueGreen = obj('Prepare the candidate beside the stable one and switch all at once.', {
  prePromotionAnalysis: analysisRef('Analysis of the preview before the switch.'),
  postPromotionAnalysis: analysisRef('Analysis after the switch; failing it switches back.'),
  autoPromotionSeconds: int(
    'Switch automatically this long after the preview is ready. Absent: wait for a promote.',
    0,
    MAX_DELAY_SECONDS,
  ),
  scaleDownDelaySeconds: int(
    'Keep the old version running this long after the switch.',
    0,
    MAX_DELAY_SECONDS,
  ),
  previewReplicaCount: limit('Replicas of the preview before the switch.'),
  previewHeader: headerMatch('Requests that match reach the preview.'),
});

const rolloutSpec = obj(
  'The desired rollout.',
  {
    targetRef: obj(
      'The Deployment the user deploys; Sluice treats it as the candidate and keeps <name>-primary as the stable version.',
      {
        apiVersion: str('apps/v1.'),
        kind: oneOf('Kind of the target.', ['Deployment']),
        name: name('Deployment name.'),
      },
      ['kind', 'name'],
    ),
    service: obj(
      'Ports of the <name>-primary and <name>-canary Services.',
      {
        port: int('Service port.', 1, 65535),
        targetPort: int('Container port. Default: port.', 1, 65535),
      },
      ['port'],
    ),
    progressDeadlineSeconds: int(
      'A candidate not available within this long is rolled back. Default 600.',
      1,
    ),
    trafficRouting: obj(
      'How traffic is moved.',
      {
        istio: obj(
          'Istio routing.',
          {
            virtualService: obj(
              'A VirtualService the user owns, in the Rollout namespace.',
              {
                name: name('VirtualService name.'),
                routes: list('Names of the HTTP routes Sluice may change.', name('Route name.'), {
                  minItems: 1,
                }),
              },
              ['name', 'routes'],
            ),
          },
          ['virtualService'],
        ),
      },
      ['istio'],
    ),
    strategy: obj('Exactly one of canary or blueGreen.', { canary, blueGreen }),
    analysis: obj('Defaults for every metric of this Rollout.', {
      interval: duration('Time between measurements.'),
      timeout: duration('Per-query timeout.'),
      noData,
      failureLimit: limit('Failed measurements tolerated.'),
      inconclusiveLimit: limit('Inconclusive measurements tolerated.'),
      consecutiveErrorLimit: limit('Query errors in a row tolerated.'),
    }),
    featureFlags: namedList(
      'Unleash flags that follow the rollout.',
      obj(
        'An Unleash flag.',
        {
          name: name('Flag name.'),
          project: str('Unleash project. Default: default.'),
          environment: str('Unleash environment. Default: the controller setting.'),
          mode: oneOf(
            'followWeight: the percentage follows the canary weight; steps: only setFlag steps change it. Default followWeight.',
            FLAG_MODES,
          ),
          finalPercent: percent('Rollout percentage set on promotion. Default 100.'),
        },
        ['name'],
      ),
    ),
    budgetPolicy: obj(
      'New revisions wait in BudgetFrozen while the named SLO has no error budget left, unless an operator overrides with a reason.',
      {
        slo: name("A ServiceLevelObjective in the Rollout's namespace."),
        freezeBelow: {
          type: 'number',
          description:
            'Freeze at or below this remaining share of the budget (1 = untouched, 0 = spent). Default 0.',
          minimum: -100,
          maximum: 1,
        },
        onUnknown: oneOf(
          'What an unknown budget (SLO missing, not evaluated, no data) means. Default allow.',
          ['allow', 'freeze'],
        ),
      },
      ['slo'],
    ),
  },
  ['targetRef', 'trafficRouting', 'strategy'],
);

const routeWeights = obj(
  'The weights of one HTTP route.',
  {
    route: name('Route name.'),
    destinations: list(
      'Destinations with their weights.',
      obj(
        'A destination.',
        {
          host: name('Destination host.'),
          subset: str('Destination subset.'),
          port: int('Destination port.', 1, 65535),
          weight: percent('Weight.'),
        },
        ['host', 'weight'],
      ),
    ),
  },
  ['route', 'destinations'],
);

const condition = obj(
  'A condition with its reason.',
  {
    type: name('Condition type.'),
    status: oneOf('Condition status.', ['True', 'False', 'Unknown']),
    reason: str('Machine-readable reason, CamelCase.'),
    message: str('What happened, for people.'),
    lastTransitionTime: time('When status last changed.'),
  },
  ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
);

const rolloutStatus = obj('Observed state, written by the controller.', {
  phase: oneOf('Rollout phase.', ROLLOUT_PHASES),
  reason: str('Why the rollout is in this phase.'),
  message: str('Details for people.'),
  observedGeneration: int('The metadata.generation this status describes.', 0),
  stableRevision: str('Pod-template hash of what <name>-primary runs.'),
  canaryRevision: str('Pod-template hash of the target Deployment being rolled out.'),
  attempt: limit(
    'Rollout starts so far (new revisions and retries); keeps AnalysisRun names unique.',
  ),
  currentStepIndex: limit('Index of the current canary step.'),
  stepStartedAt: time('When the current step started.'),
  pausedMs: limit('Paused time, in ms, that does not count toward timed pauses or deadlines.'),
  pausedAt: time('When the current pause began.'),
  weights: obj(
    'Current traffic split.',
    { stable: percent('Stable weight.'), canary: percent('Canary weight.') },
    ['stable', 'canary'],
  ),
  originalRoutes: list('Managed routes as they were before Sluice changed them.', routeWeights),
  analysisRuns: obj('AnalysisRuns in use.', {
    step: str('Run of the current analysis step.'),
    background: str('Background run.'),
  }),
  lastMeasurements: list(
    'The newest measurement of each metric.',
    obj(
      'A measurement and what it was judged against.',
      {
        metric: name('Metric name.'),
        phase: oneOf('Outcome.', MEASUREMENT_PHASES),
        value: list('Values.', { type: 'number', description: 'A value.' }),
        condition: str('The condition the value was judged against.'),
        message: str('Why.'),
        at: time('When.'),
        comparison: comparisonResult,
      },
      ['metric', 'phase', 'at'],
    ),
  ),
  handledCommands: obj(
    'The last request id handled, per command kind.',
    Object.fromEntries(COMMAND_KINDS.map((k) => [k, str(`Last handled ${k} request id.`)])),
  ),
  conditions: list('Conditions with reasons.', condition, {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  }),
  history: list(
    'Recent transitions, newest last.',
    obj(
      'A transition.',
      {
        at: time('When.'),
        event: name('What happened.'),
        revision: str('Candidate revision.'),
        step: int('Step index; -1 for background analysis.', -1),
        message: str('Details.'),
      },
      ['at', 'event'],
    ),
  ),
  unavailableSince: time('When the candidate was first seen not available in this rollout.'),
  fullPromotionRequested: bool(
    'A full promotion was asked for; it happens once the candidate is available.',
  ),
  promotionCommitted: bool(
    'The primary has taken the candidate template; the promotion can no longer be aborted.',
  ),
  headerRoute: obj(
    'The header route Sluice keeps while a setHeaderRoute step is in effect.',
    { match: list('Matches; all must fit.', headerMatch('A header or cookie match.')) },
    ['match'],
  ),
  invalidFrom: oneOf('The phase to return to once an invalid spec is fixed.', ROLLOUT_PHASES),
  featureFlags: list(
    'Feature flags as they were before this rollout first changed them.',
    obj(
      'One flag.',
      {
        name: name('Flag name, as in spec.featureFlags.'),
        snapshot: {
          type: 'object',
          description: "The flag's whole strategy state, as the flag provider returned it.",
          'x-kubernetes-preserve-unknown-fields': true,
        },
        percent: percent('The rollout percentage Sluice last set.'),
      },
      ['name', 'snapshot'],
    ),
  ),
  flagsRestorePending: bool('An abort still has to put the flags back; retried until done.'),
  baselineActive: bool('<name>-baseline was created for this rollout and not removed yet.'),
  drainUntil: time(
    'The candidate keeps running until then after traffic left it (promotion, abort), so requests the mesh still sends it are answered.',
  ),
  budget: obj(
    'The error budget as the budget policy last saw it, and an override.',
    {
      slo: str('The ServiceLevelObjective of spec.budgetPolicy.'),
      remaining: {
        type: 'number',
        description: 'Remaining share of the budget; absent when unknown.',
      },
      evaluatedAt: time('When the SLO was last evaluated.'),
      override: obj(
        'An operator let this revision start despite the freeze.',
        {
          revision: name('The revision the override is for.'),
          reason: name('Why.'),
          by: str('Who.'),
          at: time('When.'),
        },
        ['revision', 'reason', 'at'],
      ),
      frozenFrom: oneOf('The phase the frozen revision arrived in.', ['Healthy', 'Aborted']),
    },
    ['slo'],
  ),
});

const analysisRunSpec = obj(
  'What to evaluate.',
  {
    rollout: name('Rollout name.'),
    revision: str('Candidate revision under analysis.'),
    step: int('Canary step index, or -1 for background analysis.', -1),
    metrics: namedList('Metrics, resolved from the templates.', metricSpec, { minItems: 1 }),
    args: namedList('Resolved argument values.', analysisArg),
  },
  ['rollout', 'revision', 'step', 'metrics'],
);

const analysisRunStatus = obj(
  'Progress and outcome, written by the controller.',
  {
    phase: oneOf('Run phase.', ANALYSIS_PHASES),
    message: str('Why the run is in this phase.'),
    startedAt: time('When the run started.'),
    finishedAt: time('When the run finished.'),
    metricResults: namedList('One entry per metric.', metricResult),
  },
  ['phase', 'metricResults'],
);

// ---------------------------------------------------------------------------------------------
// Resources

const resource = (description: string, spec: JsonSchema, status?: JsonSchema): JsonSchema =>
  obj(
    description,
    {
      apiVersion: str('sluice.dev/v1alpha1.'),
      kind: str('The resource kind.'),
      // Kubernetes allows a CRD schema to say nothing more about metadata than its type.
      metadata: { type: 'object' },
      spec,
      ...(status ? { status } : {}),
    },
    ['spec'],
  );

export const ROLLOUT_SCHEMA = resource(
  'A progressive rollout of a Deployment through Istio weights, analysis and feature flags.',
  rolloutSpec,
  rolloutStatus,
);
export const ANALYSIS_TEMPLATE_SCHEMA = resource(
  'Metrics a rollout step can analyse, in one namespace.',
  analysisTemplateSpec,
);
export const CLUSTER_ANALYSIS_TEMPLATE_SCHEMA = resource(
  'Metrics a rollout step can analyse, shared by every namespace.',
  analysisTemplateSpec,
);
export const ANALYSIS_RUN_SCHEMA = resource(
  'One evaluation of analysis templates against one rollout step.',
  analysisRunSpec,
  analysisRunStatus,
);

/**
 * ObjectMeta as parse.ts checks it. Not part of the CRDs: Kubernetes validates metadata itself
 * and refuses a CRD schema that says more about it than its type.
 */
export const OBJECT_META_SCHEMA = obj(
  'Standard object metadata.',
  {
    name: name('Object name.'),
    namespace: str('Namespace.'),
    uid: str('Unique id.'),
    resourceVersion: str('Opaque version, changes on every write.'),
    generation: int('Desired-state generation.', 0),
    creationTimestamp: time('When the object was created.'),
    deletionTimestamp: time('When deletion was requested.'),
    labels: stringMap('Labels.'),
    annotations: stringMap('Annotations.'),
    finalizers: list('Finalizers.', str('A finalizer.')),
    ownerReferences: list(
      'Owners.',
      obj(
        'An owner.',
        {
          apiVersion: str('Owner apiVersion.'),
          kind: str('Owner kind.'),
          name: str('Owner name.'),
          uid: str('Owner uid.'),
          controller: bool('true: the owner is the managing controller.'),
          blockOwnerDeletion: bool('true: the owner cannot be deleted before this object.'),
        },
        ['apiVersion', 'kind', 'name', 'uid'],
      ),
    ),
  },
  ['name'],
);

// ---------------------------------------------------------------------------------------------
// ServiceLevelObjective (src/domain/slo/types.ts)

/** One whole number of m, h, d or w: "28d", "4w", "90m" (src/domain/slo/window.ts). */
export { SLO_WINDOW_PATTERN };

const sloQuery = (description: string): JsonSchema =>
  str(`${description} PromQL with {{window}} where the range goes.`, {
    minLength: 1,
    maxLength: MAX_SLI_QUERY_LENGTH,
  });

const sloSpec = obj(
  'A service-level objective: an SLI as good and total events, an objective and a window.',
  {
    service: name('The service the objective is for; a label on rules and metrics.'),
    sli: obj(
      'The service-level indicator as two Prometheus queries over a range.',
      {
        kind: oneOf('availability: good = no server error; latency: good = fast enough.', [
          'availability',
          'latency',
        ]),
        goodQuery: sloQuery('The rate of good events.'),
        totalQuery: sloQuery('The rate of all events.'),
      },
      ['kind', 'goodQuery', 'totalQuery'],
    ),
    objective: {
      type: 'number',
      // NOTE: 0 and 100 pass the schema (its bounds are inclusive: the boolean
      // exclusiveMinimum of Kubernetes is not draft-07's, which parse.ts's ajv speaks);
      // validateSlo refuses them and the evaluator reports InvalidSpec.
      description:
        'Percent of events that must be good, strictly between 0 and 100 (e.g. 99.9); 0 and 100 are refused by the controller (InvalidSpec).',
      minimum: 0,
      maximum: 100,
    },
    window: str('One whole number of m, h, d or w, e.g. "28d" or "4w". Default 28d.', {
      pattern: SLO_WINDOW_PATTERN,
    }),
    description: str('For operators; copied into alert annotations.'),
  },
  ['service', 'sli', 'objective'],
);

const sloStatus = obj('The error budget and burn rates, written by the controller.', {
  observedGeneration: int('The metadata.generation this status describes.', 0),
  evaluatedAt: time('When the last evaluation whose queries all answered ran.'),
  errorBudgetRemaining: {
    type: 'number',
    description:
      'Share of the budget left: 1 untouched, 0 spent, negative overspent. Absent: no data.',
  },
  errorBudgetConsumed: { type: 'number', description: 'Share of the budget spent.' },
  errorRatio: { type: 'number', description: 'Bad events / all events over the SLO window.' },
  burnRates: {
    type: 'object',
    description: 'Burn rate per window ("5m", "1h", ..., the SLO window); absent = no data.',
    additionalProperties: { type: 'number' },
  },
  alertSeverity: oneOf('The most severe firing burn-rate alert.', ['none', 'page', 'ticket']),
  firingAlerts: list(
    'Burn-rate alerts firing at evaluation time.',
    obj(
      'A window pair burning above its factor over both windows.',
      {
        severity: oneOf('Alert severity.', ['page', 'ticket']),
        longWindow: str('The long window, e.g. "1h".'),
        shortWindow: str('The short window, e.g. "5m".'),
        burnRate: { type: 'number', description: 'The factor both windows exceeded.' },
      },
      ['severity', 'longWindow', 'shortWindow', 'burnRate'],
    ),
  ),
  conditions: list('Evaluated: whether the last evaluation worked, and why not.', condition),
});

export const SLO_SCHEMA = resource(
  'A service-level objective whose error budget and burn rates Sluice evaluates.',
  sloSpec,
  sloStatus,
);
