import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { errorMessage } from '../domain/errors.js';
import type { FlagDefaults } from '../domain/flags.js';
import type { Logger } from '../logging.js';
import type { AuditLog } from './audit.js';
import { requireRole, type Authenticator } from './auth.js';
import type { RolloutBackend } from './backend.js';
import { NotFoundError, errorMiddleware } from './errors.js';
import { flagRoutes, type FlagAdmin } from './flag-routes.js';
import { DEFAULT_WEBHOOK_BODY_LIMIT, githubWebhookHandler, type WebhookConfig } from './github.js';
import { IdempotencyCache, type StoredAnswer } from './idempotency.js';
import { KeyedLock } from './keyed-lock.js';
import { createApiMetrics, type ApiMetrics } from './metrics.js';
import { OPENAPI_DOCUMENT } from './openapi.js';
import type { PersistedStore } from './persisted-store.js';
import { RateLimiter, type RateLimitConfig } from './rate-limit.js';
import { rolloutRoutes } from './rollout-routes.js';
import type { SloBackend } from './slo-backend.js';
import { sloRoutes } from './slo-routes.js';

// The control API as an express app. Everything it uses comes in through AppDeps: no globals,
// no environment reads, no connections opened here.

/** A readiness check; throws (or rejects) when its dependency is not usable. */
export type Probe = (signal: AbortSignal) => Promise<void>;

export interface ApiState {
  idempotency: PersistedStore<StoredAnswer>;
  deliveries: PersistedStore<{ at: string; outcome: string }>;
}

export interface AppDeps {
  rollouts: RolloutBackend;
  auth: Authenticator;
  audit: AuditLog;
  webhooks: WebhookConfig;
  logger: Logger;
  /** On-disk stores for Idempotency-Key answers and GitHub delivery ids (see openApiState). */
  state: ApiState;
  /** Milliseconds since the epoch; rate limiting runs on it. */
  clock?: () => number;
  /** Default 20 requests/s with bursts of 40, per caller. */
  rateLimit?: RateLimitConfig;
  /** Deep checks for /readyz, by name (API server, Prometheus, Unleash, leadership...). */
  probes?: Record<string, Probe>;
  metrics?: ApiMetrics;
  /** /metrics without a caller (for a scraper inside the cluster). Default false: viewer. */
  publicMetrics?: boolean;
  /** Per-probe limit for /readyz. Default 2000 ms. */
  probeTimeoutMs?: number;
  /** Unleash for the flag routes; without it they answer 503 "flags are not configured". */
  flags?: FlagAdmin;
  /** Project and environment when a flag request names none. Default default/development. */
  flagDefaults?: FlagDefaults;
  /** ServiceLevelObjectives for the SLO routes; without it they answer 503. */
  slos?: SloBackend;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const metrics = deps.metrics ?? createApiMetrics();
  const limiter = new RateLimiter(deps.rateLimit ?? { perSecond: 20, burst: 40 }, deps.clock);
  const idempotency = new IdempotencyCache(deps.state.idempotency);

  app.use(measure(metrics));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const r = await readiness(deps.probes ?? {}, deps.probeTimeoutMs ?? 2000);
    res.status(r.status).json(r.body);
  });

  const authenticate = async (req: Request, res: Response, next: NextFunction) => {
    try {
      const caller = await deps.auth.authenticate(req.headers.authorization);
      limiter.take(`caller:${caller.subject}`);
      res.locals.caller = caller;
    } catch (err) {
      // Failed attempts are limited per address, so guessing tokens gets a 429.
      limiter.take(`ip:${req.ip ?? 'unknown'}`);
      throw err;
    }
    next();
  };

  const viewer = (_req: Request, res: Response, next: NextFunction) => {
    requireRole(res.locals.caller, 'viewer');
    next();
  };
  app.get('/metrics', ...(deps.publicMetrics ? [] : [authenticate, viewer]), async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  app.post(
    '/webhooks/github',
    express.raw({
      type: () => true,
      limit: deps.webhooks.maxBodyBytes ?? DEFAULT_WEBHOOK_BODY_LIMIT,
    }),
    githubWebhookHandler({
      config: deps.webhooks,
      deliveries: deps.state.deliveries,
      rollouts: deps.rollouts,
      audit: deps.audit,
      logger: deps.logger,
      metrics,
    }),
  );

  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(OPENAPI_DOCUMENT);
  });
  app.use(
    '/api/v1',
    authenticate,
    express.json({ limit: '16kb', strict: true }),
    rolloutRoutes({
      rollouts: deps.rollouts,
      audit: deps.audit,
      idempotency,
      metrics,
      lock: new KeyedLock(),
      logger: deps.logger,
    }),
    flagRoutes({
      flags: deps.flags,
      defaults: deps.flagDefaults ?? { project: 'default', environment: 'development' },
      audit: deps.audit,
      lock: new KeyedLock(),
      logger: deps.logger,
    }),
    sloRoutes(deps.slos),
  );

  app.use((req) => {
    throw new NotFoundError(`no route ${req.method} ${req.path.slice(0, 200)}`);
  });
  app.use(errorMiddleware(deps.logger));
  return app;
}

function measure(metrics: ApiMetrics) {
  return (req: Request, res: Response, next: NextFunction) => {
    const end = metrics.duration.startTimer();
    res.on('finish', () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route });
      metrics.requests.inc({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

/** The /readyz answer: 200 when every probe passed, else 503; the body names each result. */
export async function readiness(
  probes: Record<string, Probe>,
  timeoutMs: number,
): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const checks = await runProbes(probes, timeoutMs);
  const ready = Object.values(checks).every((c) => c === 'ok');
  return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not ready', checks } };
}

export async function runProbes(
  probes: Record<string, Probe>,
  timeoutMs: number,
): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]): Promise<[string, string]> => {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        await Promise.race([
          probe(signal),
          new Promise((_resolve, reject) =>
            signal.addEventListener('abort', () =>
              reject(new Error(`no answer within ${timeoutMs} ms`)),
            ),
          ),
        ]);
        return [name, 'ok'];
      } catch (err) {
        return [name, errorMessage(err).slice(0, 200)];
      }
    }),
  );
  return Object.fromEntries(entries);
}
