import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from '../logging.js';
import type { AuditLog } from './audit.js';
import type { RolloutBackend, RolloutRef } from './backend.js';
import { BadRequestError, CommandConflictError, UnauthorizedError } from './errors.js';
import type { ApiMetrics } from './metrics.js';
import type { PersistedStore } from './persisted-store.js';

// POST /webhooks/github. Order matters: the signature is checked over the raw bytes before
// anything else is read, and a delivery id is remembered only once the delivery was verified
// and handled, so an unsigned request can never block the real one (S30).

export interface WebhookMapping {
  /** "owner/name", compared case-insensitively. */
  repository: string;
  /** workflow_run: the workflow's name. */
  workflow?: string;
  /** deployment: the environment. */
  environment?: string;
  rollout: RolloutRef;
  container: string;
  /** e.g. "ghcr.io/acme/shop:{sha}"; {sha}, {shortSha} and {tag} are filled in. */
  image: string;
}

export interface WebhookConfig {
  /** The webhook secret; without one every delivery is refused with 401. */
  secret: string | undefined;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
  mappings: WebhookMapping[];
}

export interface WebhookDeps {
  config: WebhookConfig;
  deliveries: PersistedStore<{ at: string; outcome: string }>;
  rollouts: RolloutBackend;
  audit: AuditLog;
  logger: Logger;
  metrics: ApiMetrics;
}

export const DEFAULT_WEBHOOK_BODY_LIMIT = 1024 * 1024;

export function verifySignature(secret: string, raw: Buffer, header: string | undefined): boolean {
  if (!header || !header.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  const expected = createHmac('sha256', secret).update(raw).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface Outcome {
  status: 200 | 202;
  body: Record<string, unknown>;
}

export function githubWebhookHandler(deps: WebhookDeps) {
  const inFlight = new Set<string>();
  return async (req: Request, res: Response): Promise<void> => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const secret = deps.config.secret;
    if (!secret || !verifySignature(secret, raw, header(req, 'x-hub-signature-256'))) {
      deps.metrics.webhooks.inc({ event: 'unknown', outcome: 'unauthorized' });
      throw new UnauthorizedError('X-Hub-Signature-256 is missing or does not match the body');
    }
    const delivery = header(req, 'x-github-delivery');
    const event = header(req, 'x-github-event');
    if (!delivery || !/^[\w-]{1,100}$/.test(delivery))
      throw new BadRequestError('X-GitHub-Delivery is missing or malformed', {
        details: { field: 'header.X-GitHub-Delivery' },
      });
    if (!event || !/^[a-z_]{1,64}$/.test(event))
      throw new BadRequestError('X-GitHub-Event is missing or malformed', {
        details: { field: 'header.X-GitHub-Event' },
      });
    const log = deps.logger.child({ delivery, event });
    if (deps.deliveries.has(delivery)) {
      log.info('webhook delivery already handled');
      deps.metrics.webhooks.inc({ event, outcome: 'duplicate' });
      res.status(200).json({ status: 'duplicate', delivery });
      return;
    }
    if (inFlight.has(delivery))
      throw new CommandConflictError(`delivery ${delivery} is being handled; retry later`);
    inFlight.add(delivery);
    try {
      const outcome = await handle(deps, event, delivery, parseJson(raw), log);
      await deps.deliveries.set(delivery, {
        at: new Date().toISOString(),
        outcome: String(outcome.body.status),
      });
      deps.metrics.webhooks.inc({ event, outcome: String(outcome.body.status) });
      res.status(outcome.status).json({ ...outcome.body, delivery });
    } finally {
      inFlight.delete(delivery);
    }
  };
}

async function handle(
  deps: WebhookDeps,
  event: string,
  delivery: string,
  payload: Record<string, unknown>,
  log: Logger,
): Promise<Outcome> {
  if (event === 'ping') return { status: 200, body: { status: 'pong' } };
  const trigger = triggerOf(event, payload);
  if (typeof trigger === 'string') {
    log.info('webhook delivery ignored', { reason: trigger });
    return { status: 200, body: { status: 'ignored', reason: trigger } };
  }
  const mapping = deps.config.mappings.find((m) => matches(m, trigger));
  if (!mapping) {
    const reason = `no mapping for ${trigger.repository} ${trigger.workflow ? `workflow "${trigger.workflow}"` : `environment "${trigger.environment ?? ''}"`}`;
    log.info('webhook delivery ignored', { reason });
    return { status: 200, body: { status: 'ignored', reason } };
  }
  const image = renderImage(mapping.image, trigger);
  const update = await deps.rollouts.setTargetImage(mapping.rollout, mapping.container, image);
  const target = `${mapping.rollout.namespace}/${mapping.rollout.name}`;
  await deps.audit.append({
    actor: `github:${trigger.sender}`,
    action: 'webhook.setImage',
    target,
    requestId: randomUUID(),
    details: { delivery, event, repository: trigger.repository, ...update },
  });
  log.info('webhook set target image', { rollout: target, image, changed: update.changed });
  return { status: 202, body: { status: 'accepted', rollout: target, ...update } };
}

interface Trigger {
  repository: string;
  workflow?: string;
  environment?: string;
  sha: string;
  tag: string;
  sender: string;
}

/** The trigger in the event, or why it is ignored. */
function triggerOf(event: string, p: Record<string, unknown>): Trigger | string {
  const repository = str(obj(p.repository)?.full_name);
  const sender = str(obj(p.sender)?.login) ?? 'unknown';
  if (!repository) return 'payload has no repository.full_name';
  if (event === 'workflow_run') {
    const run = obj(p.workflow_run);
    if (p.action !== 'completed')
      return `workflow_run action is ${String(p.action)}, not completed`;
    if (run?.conclusion !== 'success')
      return `workflow_run concluded ${String(run?.conclusion)}, not success`;
    const sha = str(run.head_sha);
    const workflow = str(run.name);
    if (!sha || !workflow) return 'workflow_run lacks head_sha or name';
    return { repository, workflow, sha, tag: str(run.head_branch) ?? sha, sender };
  }
  if (event === 'deployment') {
    const d = obj(p.deployment);
    if (p.action !== undefined && p.action !== 'created')
      return `deployment action is ${String(p.action)}, not created`;
    const sha = str(d?.sha);
    const environment = str(d?.environment);
    if (!sha || !environment) return 'deployment lacks sha or environment';
    return { repository, environment, sha, tag: str(d?.ref) ?? sha, sender };
  }
  return `event ${event} is not used`;
}

function matches(m: WebhookMapping, t: Trigger): boolean {
  if (m.repository.toLowerCase() !== t.repository.toLowerCase()) return false;
  if (t.workflow !== undefined) return m.workflow === t.workflow;
  return t.environment !== undefined && m.environment === t.environment;
}

const IMAGE_REF = /^[a-z0-9][a-z0-9._\-/:@]{0,254}$/i;

export function renderImage(template: string, t: { sha: string; tag: string }): string {
  const image = template
    .replaceAll('{sha}', t.sha)
    .replaceAll('{shortSha}', t.sha.slice(0, 7))
    .replaceAll('{tag}', t.tag.replace(/^refs\/(tags|heads)\//, ''));
  if (!IMAGE_REF.test(image) || image.includes('..'))
    throw new BadRequestError(
      `the event gives an image reference that is not valid: ${image.slice(0, 80)}`,
    );
  return image;
}

function parseJson(raw: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new BadRequestError('the webhook body is not a JSON object');
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
