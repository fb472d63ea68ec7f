import { BadRequestError } from './errors.js';

// The flag routes' part of the OpenAPI document (src/api/openapi.ts spreads it in): request
// bodies, parameters and paths, and the check of Unleash names taken from a path or query.

const FLAG_NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.~-]{0,99}$' };
const FLAG_PATH = '/api/v1/flags/{flag}';
const FLAG_SCOPE = [
  { $ref: '#/components/parameters/flagProject' },
  { $ref: '#/components/parameters/flagEnvironment' },
];

export const FLAG_BODY_SCHEMAS = {
  EmptyRequest: { type: 'object', additionalProperties: false, properties: {} },
  FlagPercentRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['percent'],
    properties: {
      percent: { type: 'integer', minimum: 0, maximum: 100, description: 'Share of users.' },
    },
  },
  FlagVariantsRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['variants'],
    properties: {
      variants: {
        type: 'array',
        maxItems: 20,
        description: 'Replaces the variants of the managed strategy; weights add up to 1000.',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'weight'],
          properties: {
            name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.~-]{0,99}$' },
            weight: { type: 'integer', minimum: 0, maximum: 1000, description: 'Thousandths.' },
            stickiness: { type: 'string', minLength: 1, maxLength: 100 },
            payload: {
              type: 'object',
              additionalProperties: false,
              required: ['type', 'value'],
              properties: {
                type: { type: 'string', enum: ['string', 'json', 'csv', 'number'] },
                value: { type: 'string', maxLength: 4096 },
              },
            },
          },
        },
      },
    },
  },
} as const;

type FlagBodySchema = keyof typeof FLAG_BODY_SCHEMAS;

export const FLAG_PARAMETERS = {
  flag: { name: 'flag', in: 'path', required: true, schema: FLAG_NAME },
  flagProject: {
    name: 'project',
    in: 'query',
    required: false,
    description: "Unleash project; default from the API's configuration.",
    schema: FLAG_NAME,
  },
  flagEnvironment: {
    name: 'environment',
    in: 'query',
    required: false,
    description: "Unleash environment; default from the API's configuration.",
    schema: FLAG_NAME,
  },
} as const;

/** `errors` is openapi.ts's helper for the error answers of a route. */
export function flagPaths(
  errors: (...codes: number[]) => Record<string, unknown>,
): Record<string, unknown> {
  const flagChange = (summary: string, schema: FlagBodySchema): Record<string, unknown> => ({
    post: {
      summary: `${summary} (admin; audited)`,
      security: [{ bearer: [] }],
      parameters: [{ $ref: '#/components/parameters/flag' }, ...FLAG_SCOPE],
      requestBody: {
        required: schema !== 'EmptyRequest',
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
      },
      responses: {
        '200': { description: '{requestId, changed, flag}: the flag as Unleash holds it after' },
        ...errors(400, 401, 403, 404, 429, 503),
      },
    },
  });
  return {
    '/api/v1/flags': {
      get: {
        summary: "List a project's flags and whether each is on in the environment (admin)",
        security: [{ bearer: [] }],
        parameters: FLAG_SCOPE,
        responses: {
          '200': { description: '{project, environment, items}' },
          ...errors(400, 401, 403, 404, 429, 503),
        },
      },
    },
    [FLAG_PATH]: {
      get: {
        summary:
          'One flag: on/off, managed rollout percent, group id, stickiness, variants (admin)',
        security: [{ bearer: [] }],
        parameters: [{ $ref: '#/components/parameters/flag' }, ...FLAG_SCOPE],
        responses: { '200': { description: 'Flag' }, ...errors(400, 401, 403, 404, 429, 503) },
      },
    },
    [`${FLAG_PATH}/enable`]: flagChange('Turn the flag on in the environment', 'EmptyRequest'),
    [`${FLAG_PATH}/disable`]: flagChange('Turn the flag off in the environment', 'EmptyRequest'),
    [`${FLAG_PATH}/percentage`]: flagChange(
      "Set the managed strategy's rollout percentage",
      'FlagPercentRequest',
    ),
    [`${FLAG_PATH}/variants`]: flagChange(
      "Replace the managed strategy's variants",
      'FlagVariantsRequest',
    ),
  };
}

const flagNameRe = new RegExp(FLAG_NAME.pattern);

/** Checks Unleash names from a path or query: project, environment and (if given) flag. */
export function validateFlagScope(scope: {
  project: string;
  environment: string;
  name?: string;
}): void {
  const fields = [
    ['query.project', scope.project],
    ['query.environment', scope.environment],
    ['path.flag', scope.name],
  ] as const;
  for (const [field, value] of fields)
    if (value !== undefined && !flagNameRe.test(value))
      throw new BadRequestError(
        `${field} must be 1-100 letters, digits or _.~- (starting with a letter or digit)`,
        { details: { field } },
      );
}
