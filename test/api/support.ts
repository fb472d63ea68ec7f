import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { Express } from 'express';
import { createApp, type AppDeps } from '../../src/api/app.js';
import { openAuditLog, type AuditLog } from '../../src/api/audit.js';
import { createAuthenticator, hashToken, type AuthConfig, type Role } from '../../src/api/auth.js';
import type {
  ImageUpdate,
  RecordOptions,
  RecordResult,
  RolloutBackend,
  RolloutRef,
} from '../../src/api/backend.js';
import { annotationsWith } from '../../src/api/command-rules.js';
import { CommandConflictError, NotFoundError } from '../../src/api/errors.js';
import type { WebhookConfig } from '../../src/api/github.js';
import { openApiState } from '../../src/api/server.js';
import type { Command } from '../../src/domain/commands.js';
import type { Rollout, RolloutPhase } from '../../src/domain/types.js';
import { createLogger } from '../../src/logging.js';

// An in-process RolloutBackend with the same write semantics as the Kubernetes one (a
// resourceVersion per write, decide() on what is there now). Used where the API server would
// only slow a test down (fuzzing, route tables); the concurrency test runs on the sandbox.

export class MemoryBackend implements RolloutBackend {
  readonly rollouts = new Map<string, Rollout>();
  readonly images = new Map<string, string>();
  writes = 0;
  private rv = 1;

  put(r: Rollout): Rollout {
    const stored = structuredClone(r);
    stored.metadata.resourceVersion = String(++this.rv);
    this.rollouts.set(`${r.metadata.namespace}/${r.metadata.name}`, stored);
    return stored;
  }

  async list(namespace: string | undefined): Promise<Rollout[]> {
    return [...this.rollouts.values()]
      .filter((r) => namespace === undefined || r.metadata.namespace === namespace)
      .map((r) => structuredClone(r));
  }

  /** Like an informer cache: the stored object itself; callers must not change it. */
  async get(ref: RolloutRef): Promise<Rollout> {
    const r = this.rollouts.get(`${ref.namespace}/${ref.name}`);
    if (!r) throw new NotFoundError(`rollout ${ref.namespace}/${ref.name} not found`);
    return r;
  }

  async recordCommand(
    ref: RolloutRef,
    command: Command,
    options: RecordOptions,
  ): Promise<RecordResult> {
    const current = structuredClone(await this.get(ref));
    if (
      options.expectedResourceVersion !== undefined &&
      options.expectedResourceVersion !== current.metadata.resourceVersion
    )
      throw new CommandConflictError('changed meanwhile');
    const decision = options.decide(current);
    if (decision.action === 'pending')
      return { requestId: decision.pendingId, written: false, rollout: current };
    current.metadata.annotations = annotationsWith(current.metadata.annotations, command, decision);
    this.writes += 1;
    return { requestId: command.id, written: true, rollout: this.put(current) };
  }

  async setTargetImage(ref: RolloutRef, container: string, image: string): Promise<ImageUpdate> {
    const r = await this.get(ref);
    const key = `${ref.namespace}/${r.spec.targetRef.name}/${container}`;
    const changed = this.images.get(key) !== image;
    if (changed) this.writes += 1;
    this.images.set(key, image);
    return { deployment: r.spec.targetRef.name, container, image, changed };
  }
}

export function makeRollout(
  name: string,
  phase: RolloutPhase | undefined,
  step = 2,
  namespace = 'shop',
): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace, annotations: {} },
    spec: {
      targetRef: { kind: 'Deployment', name },
      trafficRouting: { istio: { virtualService: { name, routes: ['primary'] } } },
      strategy: {
        canary: {
          steps: [
            { setWeight: 10 },
            { setWeight: 25 },
            { pause: {} },
            { setWeight: 50 },
            { pause: { duration: '1m' } },
          ],
        },
      },
    },
    status:
      phase === undefined
        ? {}
        : {
            phase,
            currentStepIndex: step,
            weights: { stable: 75, canary: 25 },
            stableRevision: 'aaa111',
            canaryRevision: 'bbb222',
            lastMeasurements: [
              {
                metric: 'success-rate',
                phase: 'Successful',
                value: [0.997],
                condition: 'result[0] >= 0.95',
                at: '2026-12-04T10:00:00Z',
              },
            ],
            conditions: [],
            handledCommands: {},
          },
  };
}

export const TOKENS: Record<Role, string> = {
  viewer: 'viewer-token-0123456789abcdef',
  operator: 'operator-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
};

export const STATIC_AUTH: AuthConfig = {
  staticTokens: [
    ...(Object.keys(TOKENS) as Role[]).map((role) => ({
      sha256: hashToken(TOKENS[role]),
      subject: `${role}@test`,
      role,
    })),
  ],
};

export const WEBHOOK_SECRET = 'It is a secret to everybody';

export interface TestApi {
  app: Express;
  backend: MemoryBackend;
  audit: AuditLog;
  auditPath: string;
  dir: string;
  close(): Promise<void>;
}

export async function makeTestApi(
  overrides: Partial<Omit<AppDeps, 'state' | 'audit' | 'auth'>> & {
    dir?: string;
    auth?: AuthConfig;
  } = {},
): Promise<TestApi> {
  const dir = overrides.dir ?? (await mkdtemp(join(tmpdir(), 'sluice-api-')));
  const auditPath = join(dir, 'audit.jsonl');
  const audit = await openAuditLog(auditPath, { key: 'audit-key' });
  const state = await openApiState(dir);
  // `backend` is the in-process double; a test may hand the app another backend instead.
  const backend =
    overrides.rollouts instanceof MemoryBackend ? overrides.rollouts : new MemoryBackend();
  const webhooks: WebhookConfig = overrides.webhooks ?? {
    secret: WEBHOOK_SECRET,
    maxBodyBytes: 64 * 1024,
    mappings: [
      {
        repository: 'acme/shop',
        workflow: 'build',
        rollout: { namespace: 'shop', name: 'checkout' },
        container: 'app',
        image: 'ghcr.io/acme/shop:{sha}',
      },
      {
        repository: 'acme/shop',
        environment: 'production',
        rollout: { namespace: 'shop', name: 'checkout' },
        container: 'app',
        image: 'ghcr.io/acme/shop:{tag}',
      },
    ],
  };
  const app = createApp({
    logger: createLogger({ silent: true }),
    rateLimit: { perSecond: 1000, burst: 1000 },
    ...overrides,
    rollouts: overrides.rollouts ?? backend,
    auth: createAuthenticator(overrides.auth ?? STATIC_AUTH),
    audit,
    state,
    webhooks,
  });
  return {
    app,
    backend,
    audit,
    auditPath,
    dir,
    async close() {
      await audit.close();
      await state.close();
      if (!overrides.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A local stand-in for an OIDC issuer: serves a JWKS and signs tokens with its key. */
export interface FakeIssuer {
  issuer: string;
  jwksUrl: string;
  requests: number;
  sign(
    claims: Record<string, unknown>,
    options?: { expiresIn?: string; issuer?: string; audience?: string },
  ): Promise<string>;
  close(): Promise<void>;
}

export async function startFakeIssuer(audience: string): Promise<FakeIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    state.requests += 1;
    if (req.url === '/jwks') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer: base,
    jwksUrl: `${base}/jwks`,
    get requests() {
      return state.requests;
    },
    sign: (claims, options = {}) => signWith(privateKey, claims, base, audience, options),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function signWith(
  key: CryptoKey,
  claims: Record<string, unknown>,
  issuer: string,
  audience: string,
  options: { expiresIn?: string; issuer?: string; audience?: string },
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(options.issuer ?? issuer)
    .setAudience(options.audience ?? audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(key);
}

export function bearer(role: Role): string {
  return `Bearer ${TOKENS[role]}`;
}
