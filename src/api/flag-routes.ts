import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { FlagProviderError } from '../domain/errors.js';
import type {
  Flag,
  FlagCatalog,
  FlagDefaults,
  FlagProvider,
  FlagRef,
  FlagVariant,
  FlagWrite,
} from '../domain/flags.js';
import type { Logger } from '../logging.js';
import type { AuditLog } from './audit.js';
import { requireRole } from './auth.js';
import { BadRequestError, NotFoundError, UnavailableError } from './errors.js';
import type { KeyedLock } from './keyed-lock.js';
import { validateFlagScope } from './openapi-flags.js';
import { validateBody } from './openapi.js';
import { caller } from './rollout-routes.js';

// Developer toggles under /api/v1/flags, backed by Unleash's Admin API. Admin role only, reads
// included (DESIGN: flags are an admin concern). Every change is written to Unleash, then
// audited (flushed), and only then answered with 200.

/** What the flag routes need from the flag system: one flag at a time, plus a list. */
export type FlagAdmin = FlagProvider & FlagCatalog;

export interface FlagRoutesDeps {
  /** Undefined: every flag route answers 503 "flags are not configured". */
  flags: FlagAdmin | undefined;
  defaults: FlagDefaults;
  audit: AuditLog;
  lock: KeyedLock;
  logger: Logger;
  /** Limit for one route's calls to Unleash. Default 10 s. */
  timeoutMs?: number;
}

export const FLAG_ACTIONS = ['enable', 'disable', 'percentage', 'variants'] as const;
export type FlagAction = (typeof FLAG_ACTIONS)[number];

interface PercentBody {
  percent: number;
}
interface VariantsBody {
  variants: Array<{
    name: string;
    weight: number;
    stickiness?: string;
    payload?: FlagVariant['payload'];
  }>;
}

export function flagRoutes(deps: FlagRoutesDeps): Router {
  const router = Router();
  const signal = () => AbortSignal.timeout(deps.timeoutMs ?? 10_000);

  router.get('/flags', async (req, res) => {
    const flags = admin(deps, res);
    const scope = scopeOf(req, deps.defaults);
    const items = await unleash(scope, undefined, () =>
      flags.listFlags(scope, { signal: signal() }),
    );
    res.json({ ...scope, items });
  });

  router.get('/flags/:name', async (req, res) => {
    const flags = admin(deps, res);
    const ref = refOf(req, deps.defaults);
    res.json(
      flagView(await unleash(ref, ref.name, () => flags.getFlag(ref, { signal: signal() }))),
    );
  });

  for (const action of FLAG_ACTIONS)
    router.post(`/flags/:name/${action}`, async (req, res) => {
      const flags = admin(deps, res);
      const ref = refOf(req, deps.defaults);
      if (hasBody(req) && !req.is('application/json'))
        throw new BadRequestError('send the body as application/json', {
          details: { field: 'header.Content-Type' },
        });
      const change = parseChange(action, req.body);
      const key = `${ref.project}/${ref.environment}/${ref.name}`;
      const answer = await deps.lock.run(key, async () => {
        const options = { signal: signal() };
        const write = await unleash(ref, ref.name, () => applyChange(flags, ref, change, options));
        const after = await unleash(ref, ref.name, () => flags.getFlag(ref, options));
        const requestId = randomUUID();
        // NOTE: audited (and flushed) before the 200 leaves; if this throws the caller gets 500.
        await deps.audit.append({
          actor: caller(res).subject,
          action: `flag.${action}`,
          target: key,
          requestId,
          details: { ...change.details, writes: write.writes },
        });
        deps.logger.info('flag changed', {
          flag: key,
          action,
          writes: write.writes,
          actor: caller(res).subject,
          requestId,
        });
        return { requestId, changed: write.writes > 0, flag: flagView(after) };
      });
      res.json(answer);
    });

  return router;
}

type Change =
  | { action: 'enable' | 'disable'; details: Record<string, unknown> }
  | { action: 'percentage'; percent: number; details: Record<string, unknown> }
  | { action: 'variants'; variants: FlagVariant[]; details: Record<string, unknown> };

function parseChange(action: FlagAction, body: unknown): Change {
  switch (action) {
    case 'enable':
    case 'disable':
      validateBody<Record<string, never>>('EmptyRequest', body);
      return { action, details: {} };
    case 'percentage': {
      const { percent } = validateBody<PercentBody>('FlagPercentRequest', body);
      return { action, percent, details: { percent } };
    }
    case 'variants': {
      const { variants } = validateBody<VariantsBody>('FlagVariantsRequest', body);
      const total = variants.reduce((sum, v) => sum + v.weight, 0);
      if (variants.length > 0 && total !== 1000)
        throw new BadRequestError(
          `body.variants weights add up to ${total}; they must add up to 1000 (thousandths)`,
          { details: { field: 'body.variants' } },
        );
      // NOTE: Unleash splits the rest evenly among 'variable' variants whatever weight they
      // carry, so every variant but the last is 'fix'; the last takes the remainder, which is
      // its own weight because the weights add up to 1000.
      const typed = variants.map((v, i): FlagVariant => ({
        name: v.name,
        weight: v.weight,
        weightType: i === variants.length - 1 ? 'variable' : 'fix',
        stickiness: v.stickiness ?? 'default',
        ...(v.payload ? { payload: v.payload } : {}),
      }));
      return { action, variants: typed, details: { variants: typed } };
    }
    default: {
      const never: never = action;
      throw new Error(`unknown flag action ${String(never)}`);
    }
  }
}

function applyChange(
  flags: FlagAdmin,
  ref: FlagRef,
  change: Change,
  options: { signal: AbortSignal },
): Promise<FlagWrite> {
  switch (change.action) {
    case 'enable':
      return flags.enable(ref, options);
    case 'disable':
      return flags.disable(ref, options);
    case 'percentage':
      return flags.setRolloutPercent(ref, change.percent, options);
    case 'variants':
      return flags.setVariants(ref, change.variants, options);
    default: {
      const never: never = change;
      throw new Error(`unknown flag change ${JSON.stringify(never)}`);
    }
  }
}

/** The admin check first (a viewer learns nothing about configuration), then the 503. */
function admin(deps: FlagRoutesDeps, res: Response): FlagAdmin {
  requireRole(caller(res), 'admin');
  if (!deps.flags)
    throw new UnavailableError(
      'flags are not configured: start the API with an Unleash URL and Admin API token',
    );
  return deps.flags;
}

function scopeOf(req: Request, defaults: FlagDefaults): FlagDefaults {
  const project = queryString(req, 'project') ?? defaults.project;
  const environment = queryString(req, 'environment') ?? defaults.environment;
  validateFlagScope({ project, environment });
  return { project, environment };
}

function refOf(req: Request, defaults: FlagDefaults): FlagRef {
  const name = String(req.params.name);
  const scope = scopeOf(req, defaults);
  validateFlagScope({ ...scope, name });
  return { ...scope, name };
}

function queryString(req: Request, key: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string')
    throw new BadRequestError(`query.${key} must be given once, as a string`, {
      details: { field: `query.${key}` },
    });
  return v;
}

/**
 * Runs one Unleash call and turns its failure into what the caller can act on: 404 naming the
 * flag, 400 for a request Unleash refused, 503 (with the reason, never a stack) otherwise.
 */
async function unleash<T>(
  scope: FlagDefaults,
  flag: string | undefined,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toApiError(err, scope, flag);
  }
}

function toApiError(err: unknown, scope: FlagDefaults, flag: string | undefined): unknown {
  if (!(err instanceof FlagProviderError)) return err;
  const where = { project: scope.project, environment: scope.environment };
  switch (err.reason) {
    case 'notFound':
      return new NotFoundError(
        flag === undefined
          ? `project ${scope.project} or environment ${scope.environment} does not exist in Unleash`
          : `flag ${flag} does not exist in project ${scope.project}, environment ${scope.environment}`,
        { details: { ...where, ...(flag === undefined ? {} : { flag }) } },
      );
    case 'invalid':
      return new BadRequestError(err.message, { details: { ...where, field: 'body' } });
    case 'unreachable':
    case 'server':
    case 'unauthorized':
    case 'malformed':
    case 'unknown':
      return new UnavailableError(`the flag service is unavailable: ${err.message}`, {
        details: { reason: err.reason },
      });
    default: {
      const never: never = err.reason;
      return never;
    }
  }
}

export interface FlagView {
  name: string;
  project: string;
  environment: string;
  enabled: boolean;
  /** The managed flexibleRollout strategy, if the flag has one. */
  rollout: { percent: number; groupId: string; stickiness: string } | null;
  /** The managed strategy's variants (weights in thousandths). */
  variants: FlagVariant[];
  strategies: Array<{ id: string; name: string; disabled: boolean; parameters: object }>;
}

export function flagView(flag: Flag): FlagView {
  const managed = flag.strategies.find((s) => s.id === flag.rollout?.strategyId);
  return {
    ...flag.ref,
    enabled: flag.enabled,
    rollout: flag.rollout
      ? {
          percent: flag.rollout.percent,
          groupId: flag.rollout.groupId,
          stickiness: flag.rollout.stickiness,
        }
      : null,
    variants: managed?.variants ?? [],
    strategies: flag.strategies.map((s) => ({
      id: s.id,
      name: s.name,
      disabled: s.disabled,
      parameters: s.parameters,
    })),
  };
}

function hasBody(req: Request): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  return req.headers['transfer-encoding'] !== undefined || length > 0;
}
