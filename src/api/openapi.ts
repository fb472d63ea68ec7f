import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { BadRequestError } from './errors.js';
import { FLAG_BODY_SCHEMAS, FLAG_PARAMETERS, flagPaths } from './openapi-flags.js';
import { SLO_SCHEMAS, sloPaths } from './openapi-slos.js';

// The OpenAPI 3 document of the control API. Request bodies are validated against the very
// schemas published here, so the document and the checks cannot drift apart.

const NAME = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$', maxLength: 253 };
const NAMESPACE = {
  type: 'string',
  pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
  maxLength: 63,
};

export const BODY_SCHEMAS = {
  PromoteRequest: {
    type: 'object',
    additionalProperties: false,
    properties: {
      full: { type: 'boolean', description: 'Skip the remaining steps and promote at once.' },
      expectedStep: {
        type: 'integer',
        minimum: 0,
        maximum: 1000,
        description: 'Refuse (409) unless the rollout is at this step index.',
      },
    },
  },
  AbortRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: { reason: { type: 'string', minLength: 1, maxLength: 1024 } },
  },
  NoteRequest: {
    type: 'object',
    additionalProperties: false,
    properties: { reason: { type: 'string', maxLength: 1024 } },
  },
  OverrideBudgetRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: {
      reason: {
        type: 'string',
        minLength: 1,
        maxLength: 1024,
        // Visible text is checked after the schema (domain/text.ts): a reason made only of
        // blank or invisible characters says nothing.
        description: 'Why the error-budget freeze is bypassed; kept in the audit log.',
      },
    },
  },
  ...FLAG_BODY_SCHEMAS,
} as const;

export type BodySchemaName = keyof typeof BODY_SCHEMAS;

const ERROR = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details', 'id'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'object' },
        id: { type: 'string' },
      },
    },
  },
};

const ACCEPTED = {
  type: 'object',
  required: ['requestId', 'watch', 'command'],
  properties: {
    requestId: { type: 'string' },
    watch: { type: 'string', description: 'Where to follow the rollout.' },
    command: { type: 'string' },
    alreadyPending: { type: 'boolean' },
  },
};

function errors(...codes: number[]): Record<string, unknown> {
  const text: Record<number, string> = {
    400: 'Invalid request (the message names the field)',
    401: 'No or invalid credentials',
    403: 'Role too low',
    404: 'No such rollout or flag',
    409: 'The command makes no sense in the current phase, or is stale',
    413: 'Body too large',
    429: 'Rate limited (see Retry-After)',
    503: 'A dependency is unavailable',
  };
  return Object.fromEntries(
    codes.map((c) => [
      String(c),
      {
        description: text[c],
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );
}

function command(
  summary: string,
  schema: BodySchemaName,
  required: boolean,
): Record<string, unknown> {
  return {
    post: {
      summary,
      security: [{ bearer: [] }],
      parameters: [
        { $ref: '#/components/parameters/namespace' },
        { $ref: '#/components/parameters/name' },
        { $ref: '#/components/parameters/idempotencyKey' },
      ],
      requestBody: {
        required,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
      },
      responses: {
        '202': {
          description: 'Recorded on the Rollout; the controller acts on it',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } },
        },
        ...errors(400, 401, 403, 404, 409, 429, 503),
      },
    },
  };
}

const ROLLOUT_PATH = '/api/v1/namespaces/{namespace}/rollouts/{name}';

export const OPENAPI_DOCUMENT = {
  openapi: '3.0.3',
  info: { title: 'Sluice control API', version: 'v1' },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT or static token' },
    },
    parameters: {
      namespace: { name: 'namespace', in: 'path', required: true, schema: NAMESPACE },
      name: { name: 'name', in: 'path', required: true, schema: NAME },
      idempotencyKey: {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'A retried command with the same key gets the first answer and writes nothing.',
        schema: { type: 'string', minLength: 1, maxLength: 200 },
      },
      ...FLAG_PARAMETERS,
    },
    schemas: {
      ...BODY_SCHEMAS,
      Error: ERROR,
      Accepted: ACCEPTED,
      RolloutSummary: { type: 'object', description: 'See docs/api.md for every field.' },
      ...SLO_SCHEMAS,
    },
  },
  paths: {
    '/api/v1/rollouts': {
      get: {
        summary: 'List rollouts in every namespace',
        security: [{ bearer: [] }],
        responses: { '200': { description: 'Rollout summaries' }, ...errors(401, 403, 429, 503) },
      },
    },
    '/api/v1/namespaces/{namespace}/rollouts': {
      get: {
        summary: 'List rollouts in a namespace',
        security: [{ bearer: [] }],
        parameters: [{ $ref: '#/components/parameters/namespace' }],
        responses: {
          '200': { description: 'Rollout summaries' },
          ...errors(400, 401, 403, 429, 503),
        },
      },
    },
    [ROLLOUT_PATH]: {
      get: {
        summary: 'Phase, step, weights, revisions, last measurements with thresholds, conditions',
        security: [{ bearer: [] }],
        parameters: [
          { $ref: '#/components/parameters/namespace' },
          { $ref: '#/components/parameters/name' },
        ],
        responses: {
          '200': {
            description: 'Rollout summary',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/RolloutSummary' } },
            },
          },
          ...errors(400, 401, 403, 404, 429, 503),
        },
      },
    },
    [`${ROLLOUT_PATH}/promote`]: command(
      'Promote one step, or fully with full: true',
      'PromoteRequest',
      false,
    ),
    [`${ROLLOUT_PATH}/abort`]: command('Abort and roll back to stable', 'AbortRequest', true),
    [`${ROLLOUT_PATH}/pause`]: command('Pause a progressing rollout', 'NoteRequest', false),
    [`${ROLLOUT_PATH}/resume`]: command('Resume a paused rollout', 'NoteRequest', false),
    [`${ROLLOUT_PATH}/retry`]: command('Start an aborted rollout again', 'NoteRequest', false),
    [`${ROLLOUT_PATH}/override-budget`]: command(
      'Start a revision the budget policy holds in BudgetFrozen (operator; the reason is audited)',
      'OverrideBudgetRequest',
      true,
    ),
    ...flagPaths(errors),
    ...sloPaths(errors),
    '/webhooks/github': {
      post: {
        summary: 'GitHub webhook (X-Hub-Signature-256 HMAC over the raw body)',
        responses: {
          '200': { description: 'ping, duplicate or ignored delivery' },
          '202': { description: 'Acted on: the target Deployment got a new image' },
          ...errors(400, 401, 413),
        },
      },
    },
    '/healthz': { get: { summary: 'Alive', responses: { '200': { description: 'ok' } } } },
    '/readyz': {
      get: {
        summary: 'Ready: every dependency probe answered',
        responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } },
      },
    },
    '/metrics': {
      get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text format' } } },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = new Map<BodySchemaName, ValidateFunction>(
  (Object.keys(BODY_SCHEMAS) as BodySchemaName[]).map((k) => [k, ajv.compile(BODY_SCHEMAS[k])]),
);

/** Returns the body typed, or throws BadRequestError naming the field. */
export function validateBody<T>(schema: BodySchemaName, body: unknown): T {
  const validate = validators.get(schema);
  if (!validate) throw new Error(`no schema ${schema}`);
  const value = body === undefined ? {} : body;
  if (validate(value)) return value as T;
  const first = validate.errors?.[0];
  throw new BadRequestError(describe(first), { details: { field: fieldOf(first) } });
}

function fieldOf(e: ErrorObject | undefined): string {
  if (!e) return 'body';
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (e.keyword === 'required')
    return `body.${path ? `${path}.` : ''}${String(e.params.missingProperty)}`;
  if (e.keyword === 'additionalProperties')
    return `body.${path ? `${path}.` : ''}${String(e.params.additionalProperty)}`;
  return path ? `body.${path}` : 'body';
}

function describe(e: ErrorObject | undefined): string {
  const field = fieldOf(e);
  if (!e) return 'invalid body';
  if (e.keyword === 'required') return `${field} is required`;
  if (e.keyword === 'additionalProperties') return `${field} is not a known field`;
  return `${field} ${e.message ?? 'is invalid'}`;
}

const nameRe = new RegExp(NAME.pattern);
const namespaceRe = new RegExp(NAMESPACE.pattern);

export function validateNamespace(namespace: string): void {
  if (!namespaceRe.test(namespace))
    throw new BadRequestError('namespace is not a valid Kubernetes namespace name', {
      details: { field: 'path.namespace' },
    });
}

export function validateRef(namespace: string, name: string): void {
  validateNamespace(namespace);
  if (!nameRe.test(name))
    throw new BadRequestError('name is not a valid Kubernetes object name', {
      details: { field: 'path.name' },
    });
}
