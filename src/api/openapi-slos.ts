// The SLO paths of the OpenAPI document (openapi.ts spreads them in).

const SLO_VIEW = {
  type: 'object',
  description: 'An SLO: its spec, and its error budget and burn rates as last evaluated.',
  required: ['namespace', 'name', 'service', 'objective', 'window', 'sli', 'status'],
  properties: {
    namespace: { type: 'string' },
    name: { type: 'string' },
    service: { type: 'string' },
    objective: { type: 'number', description: 'Percent of good events, e.g. 99.99.' },
    window: { type: 'string', description: 'The compliance window, e.g. "28d".' },
    sli: {
      type: 'object',
      properties: {
        kind: { type: 'string', enum: ['availability', 'latency'] },
        goodQuery: { type: 'string' },
        totalQuery: { type: 'string' },
      },
    },
    description: { type: 'string' },
    status: {
      type: 'object',
      properties: {
        evaluatedAt: { type: 'string', format: 'date-time', nullable: true },
        errorBudgetRemaining: {
          type: 'number',
          nullable: true,
          description: 'Share of the budget left: 1 untouched, 0 spent, negative overspent.',
        },
        errorBudgetConsumed: { type: 'number', nullable: true },
        errorRatio: { type: 'number', nullable: true },
        burnRates: {
          type: 'object',
          description: 'Burn rate per window ("28d", "5m", ...); null = no data.',
          additionalProperties: { type: 'number', nullable: true },
        },
        alertSeverity: { type: 'string', enum: ['none', 'page', 'ticket'], nullable: true },
        firingAlerts: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              severity: { type: 'string', enum: ['page', 'ticket'] },
              longWindow: { type: 'string' },
              shortWindow: { type: 'string' },
              burnRate: { type: 'number' },
            },
          },
        },
        condition: {
          type: 'object',
          nullable: true,
          properties: {
            status: { type: 'string' },
            reason: { type: 'string' },
            message: { type: 'string' },
          },
        },
      },
    },
  },
} as const;

export const SLO_SCHEMAS = { SloView: SLO_VIEW } as const;

/** `errors` is openapi.ts's helper for the error answers of a route. */
export function sloPaths(
  errors: (...codes: number[]) => Record<string, unknown>,
): Record<string, unknown> {
  const view = { $ref: '#/components/schemas/SloView' };
  return {
    '/api/v1/namespaces/{namespace}/slos': {
      get: {
        summary: "List a namespace's SLOs with their error budget and burn rates",
        security: [{ bearer: [] }],
        parameters: [
          { $ref: '#/components/parameters/namespace' },
          {
            name: 'service',
            in: 'query',
            required: false,
            description: "Only this service's SLOs.",
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: 'SLOs',
            content: {
              'application/json': {
                schema: { type: 'object', properties: { items: { type: 'array', items: view } } },
              },
            },
          },
          ...errors(400, 401, 403, 429, 503),
        },
      },
    },
    '/api/v1/namespaces/{namespace}/slos/{name}': {
      get: {
        summary: 'One SLO: budget left, burn rate per window, firing alerts, evaluation time',
        security: [{ bearer: [] }],
        parameters: [
          { $ref: '#/components/parameters/namespace' },
          { $ref: '#/components/parameters/name' },
        ],
        responses: {
          '200': { description: 'SLO', content: { 'application/json': { schema: view } } },
          ...errors(400, 401, 403, 404, 429, 503),
        },
      },
    },
  };
}
