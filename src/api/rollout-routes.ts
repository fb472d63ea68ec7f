import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { Command } from '../domain/commands.js';
import type { CommandKind } from '../domain/types.js';
import { LOG_FIELDS, type Logger } from '../logging.js';
import type { AuditLog } from './audit.js';
import { requireRole, type Caller } from './auth.js';
import type { RolloutBackend, RolloutRef } from './backend.js';
import { decideCommand } from './command-rules.js';
import { BadRequestError, toSluiceError } from './errors.js';
import type { SluiceError } from '../domain/errors.js';
import { hasVisibleText } from '../domain/text.js';
import type { IdempotencyCache } from './idempotency.js';
import type { KeyedLock } from './keyed-lock.js';
import type { ApiMetrics } from './metrics.js';
import { validateBody, validateNamespace, validateRef, type BodySchemaName } from './openapi.js';
import { summarizeRollout } from './view.js';

// The rollout routes under /api/v1. Reads need viewer, commands operator. A command is only
// recorded on the Rollout (the controller acts on it) and audited before the 202 goes out.

export interface RolloutRoutesDeps {
  rollouts: RolloutBackend;
  audit: AuditLog;
  idempotency: IdempotencyCache;
  metrics: ApiMetrics;
  lock: KeyedLock;
  logger: Logger;
}

interface PromoteBody {
  full?: boolean;
  expectedStep?: number;
}
interface NoteBody {
  reason?: string;
}

const VERBS = ['promote', 'abort', 'pause', 'resume', 'retry', 'override-budget'] as const;
type Verb = (typeof VERBS)[number];

const SCHEMA: Record<Verb, BodySchemaName> = {
  promote: 'PromoteRequest',
  abort: 'AbortRequest',
  pause: 'NoteRequest',
  resume: 'NoteRequest',
  retry: 'NoteRequest',
  'override-budget': 'OverrideBudgetRequest',
};

function kindOf(verb: Verb, body: PromoteBody): CommandKind {
  if (verb === 'promote') return body.full ? 'promoteFull' : 'promote';
  if (verb === 'override-budget') return 'overrideBudget';
  return verb;
}

export function caller(res: Response): Caller {
  const c = res.locals.caller as Caller | undefined;
  // NOTE: the auth middleware runs before every route here; a missing caller is a wiring bug.
  if (!c) throw new Error('route reached without an authenticated caller');
  return c;
}

function refOf(req: Request): RolloutRef {
  const namespace = String(req.params.namespace);
  const name = String(req.params.name);
  validateRef(namespace, name);
  return { namespace, name };
}

export function watchUrl(ref: RolloutRef): string {
  return `/api/v1/namespaces/${ref.namespace}/rollouts/${ref.name}`;
}

export function rolloutRoutes(deps: RolloutRoutesDeps): Router {
  const router = Router();

  router.get('/rollouts', async (_req, res) => {
    requireRole(caller(res), 'viewer');
    const items = await deps.rollouts.list(undefined);
    res.json({ items: items.map(summarizeRollout) });
  });

  router.get('/namespaces/:namespace/rollouts', async (req, res) => {
    requireRole(caller(res), 'viewer');
    const namespace = String(req.params.namespace);
    validateNamespace(namespace);
    const items = await deps.rollouts.list(namespace);
    res.json({ items: items.map(summarizeRollout) });
  });

  router.get('/namespaces/:namespace/rollouts/:name', async (req, res) => {
    requireRole(caller(res), 'viewer');
    res.json(summarizeRollout(await deps.rollouts.get(refOf(req))));
  });

  for (const verb of VERBS)
    router.post(`/namespaces/:namespace/rollouts/:name/${verb}`, async (req, res) => {
      const who = caller(res);
      requireRole(who, 'operator');
      const ref = refOf(req);
      if (hasBody(req) && !req.is('application/json'))
        throw new BadRequestError('send the body as application/json', {
          details: { field: 'header.Content-Type' },
        });
      const body = validateBody<PromoteBody & NoteBody>(SCHEMA[verb], req.body);
      if (verb === 'override-budget' && !hasVisibleText(body.reason ?? ''))
        throw new BadRequestError(
          'body.reason must say why in visible text (letters, digits or punctuation), not only blank or invisible characters',
          { details: { field: 'body.reason' } },
        );
      const kind = kindOf(verb, body);
      const key = idempotencyKey(req);
      const run = () =>
        deps.lock.run(`${ref.namespace}/${ref.name}`, () => runCommand(deps, who, ref, kind, body));
      const answer = key
        ? await deps.idempotency.run(
            {
              caller: who.subject,
              key,
              request: JSON.stringify([req.method, req.path, body]),
            },
            run,
          )
        : { ...(await run()), replayed: false };
      if (answer.replayed) res.setHeader('Idempotent-Replayed', 'true');
      res.status(answer.status).json(answer.body);
    });

  return router;
}

async function runCommand(
  deps: RolloutRoutesDeps,
  who: Caller,
  ref: RolloutRef,
  kind: CommandKind,
  body: PromoteBody & NoteBody,
): Promise<{ status: number; body: unknown }> {
  const command: Command = {
    kind,
    id: randomUUID(),
    ...(body.expectedStep === undefined ? {} : { step: body.expectedStep }),
    ...(body.reason === undefined ? {} : { reason: body.reason }),
    by: who.subject,
  };
  let result;
  try {
    result = await deps.rollouts.recordCommand(ref, command, {
      decide: (current) => decideCommand(current, { kind, expectedStep: body.expectedStep }),
    });
  } catch (err) {
    deps.metrics.commands.inc({ command: kind, outcome: 'refused' });
    const refused = toSluiceError(err);
    await auditRefusal(deps, who, ref, command, refused);
    throw refused;
  }
  // NOTE: audited (and fsync'ed) before the 202 leaves; if this throws the caller gets 500.
  await deps.audit.append({
    actor: who.subject,
    action: `rollout.${kind}`,
    target: `${ref.namespace}/${ref.name}`,
    requestId: result.requestId,
    details: {
      written: result.written,
      ...(body.expectedStep === undefined ? {} : { expectedStep: body.expectedStep }),
      ...(body.reason === undefined ? {} : { reason: body.reason }),
      resourceVersion: result.rollout.metadata.resourceVersion ?? null,
    },
  });
  deps.metrics.commands.inc({ command: kind, outcome: result.written ? 'accepted' : 'pending' });
  deps.logger.info('rollout command recorded', {
    [LOG_FIELDS.namespace]: ref.namespace,
    [LOG_FIELDS.rollout]: ref.name,
    command: kind,
    requestId: result.requestId,
    written: result.written,
    actor: who.subject,
  });
  return {
    status: 202,
    body: {
      requestId: result.requestId,
      command: kind,
      watch: watchUrl(ref),
      ...(result.written ? {} : { alreadyPending: true }),
    },
  };
}

/**
 * A refused command (409, 404, 503...) is audited too, so the log shows who tried what and why
 * it did not happen. Nothing was written, so an audit failure here only gets logged: the caller
 * still gets the refusal, not a 500 for a command that never existed.
 */
async function auditRefusal(
  deps: RolloutRoutesDeps,
  who: Caller,
  ref: RolloutRef,
  command: Command,
  refused: SluiceError,
): Promise<void> {
  try {
    await deps.audit.append({
      actor: who.subject,
      action: `rollout.${command.kind}.refused`,
      target: `${ref.namespace}/${ref.name}`,
      requestId: command.id,
      details: {
        code: refused.code,
        message: refused.message,
        ...(command.step === undefined ? {} : { expectedStep: command.step }),
        ...(command.reason === undefined ? {} : { reason: command.reason }),
      },
    });
  } catch (err) {
    deps.logger.error('audit of a refused command failed', {
      [LOG_FIELDS.namespace]: ref.namespace,
      [LOG_FIELDS.rollout]: ref.name,
      command: command.kind,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/** A body other than JSON would be skipped by the parser and read as {}: refuse it instead. */
function hasBody(req: Request): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  return req.headers['transfer-encoding'] !== undefined || length > 0;
}

function idempotencyKey(req: Request): string | undefined {
  const v = req.headers['idempotency-key'];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(v))
    throw new BadRequestError('Idempotency-Key must be 1-200 visible ASCII characters', {
      details: { field: 'header.Idempotency-Key' },
    });
  return v;
}
