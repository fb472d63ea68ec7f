import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { createApp, type Probe } from '../api/app.js';
import type { FlagAdmin } from '../api/flag-routes.js';
import { openAuditLog } from '../api/audit.js';
import {
  createAuthenticator,
  isRole,
  type JwtConfig,
  type StaticTokenConfig,
} from '../api/auth.js';
import type { WebhookMapping } from '../api/github.js';
import { KubeRolloutBackend, type RolloutReadCache } from '../api/kube-backend.js';
import { KubeSloBackend } from '../api/slo-backend.js';
import { openApiState, startServer, type RunningServer } from '../api/server.js';
import { InvalidSpecError } from '../domain/errors.js';
import type { FlagDefaults } from '../domain/flags.js';
import type { Logger } from '../logging.js';

// The control API inside the controller process: the same informer cache serves reads, and
// commands are written to the API server as annotations that the controller then executes.

export interface ControlApiConfig {
  port: number;
  /** Default 127.0.0.1; 0.0.0.0 in a cluster. */
  host?: string;
  /** HTTPS with TLS 1.3 as the minimum when given. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Where the audit log and the idempotency and delivery stores live. */
  stateDir: string;
  auditKey?: string;
  staticTokens: StaticTokenConfig[];
  jwt?: JwtConfig;
  webhookSecret?: string;
  webhookMappings: WebhookMapping[];
}

export interface ControlApiDeps {
  kubeConfig: KubeConfig;
  readCache?: RolloutReadCache;
  logger: Logger;
  probes?: Record<string, Probe>;
  /** Unleash for the flag routes, with the project/environment a request may leave out. */
  flags?: { admin: FlagAdmin; defaults: FlagDefaults };
}

export interface RunningControlApi {
  url: string;
  close(): Promise<void>;
}

export async function startControlApi(
  config: ControlApiConfig,
  deps: ControlApiDeps,
): Promise<RunningControlApi> {
  const audit = await openAuditLog(
    join(config.stateDir, 'audit.jsonl'),
    config.auditKey ? { key: config.auditKey } : {},
  );
  const state = await openApiState(config.stateDir);
  let server: RunningServer | undefined;
  try {
    const app = createApp({
      rollouts: new KubeRolloutBackend(
        deps.kubeConfig,
        deps.readCache ? { readCache: deps.readCache } : {},
      ),
      slos: new KubeSloBackend(deps.kubeConfig),
      auth: createAuthenticator({
        staticTokens: config.staticTokens,
        ...(config.jwt ? { jwt: config.jwt } : {}),
      }),
      audit,
      state,
      logger: deps.logger,
      webhooks: { secret: config.webhookSecret, mappings: config.webhookMappings },
      ...(deps.probes ? { probes: deps.probes } : {}),
      ...(deps.flags ? { flags: deps.flags.admin, flagDefaults: deps.flags.defaults } : {}),
    });
    server = await startServer({
      app,
      port: config.port,
      host: config.host ?? '127.0.0.1',
      ...(config.tls ? { tls: config.tls } : {}),
    });
  } catch (err) {
    await state.close();
    await audit.close();
    throw err;
  }
  const running = server;
  return {
    url: running.url,
    async close() {
      await running.close();
      await state.close();
      await audit.close();
    },
  };
}

/**
 * Reads the API settings file (YAML). Secrets are not in it: tokens appear only as SHA-256
 * hashes, and the webhook secret and audit key are read from the files it names.
 *
 *   port: 8443
 *   host: 0.0.0.0
 *   stateDir: /var/lib/sluice
 *   tls: { certFile: /etc/sluice/tls.crt, keyFile: /etc/sluice/tls.key }
 *   tokens: [{ sha256: <hex>, subject: release-bot, role: operator }]
 *   jwt: { issuer: https://issuer, audience: sluice, jwksUrl: https://issuer/keys, groupRoles: { sre: admin } }
 *   webhook: { secretFile: /etc/sluice/webhook-secret, mappings: [...] }
 *   auditKeyFile: /etc/sluice/audit-key
 */
export async function loadControlApiConfig(path: string): Promise<ControlApiConfig> {
  const raw = parseYaml(await readFile(path, 'utf8')) as unknown;
  const at = (field: string, message: string): never => {
    throw new InvalidSpecError(`${path}: ${field}`, message);
  };
  if (typeof raw !== 'object' || raw === null) return at('(root)', 'must be a YAML mapping');
  const o = raw as Record<string, unknown>;
  const port = o['port'] ?? 8443;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
    return at('port', 'must be a port number');
  const stateDir = o['stateDir'];
  if (typeof stateDir !== 'string' || stateDir === '')
    return at('stateDir', 'must name a directory');
  const tokens = (o['tokens'] ?? []) as unknown;
  if (!Array.isArray(tokens)) return at('tokens', 'must be a list');
  const staticTokens = tokens.map((t: unknown, i): StaticTokenConfig => {
    const r = (t ?? {}) as Record<string, unknown>;
    if (typeof r['sha256'] !== 'string' || !/^[0-9a-f]{64}$/.test(r['sha256']))
      return at(`tokens[${i}].sha256`, 'must be the hex SHA-256 of the token');
    if (typeof r['subject'] !== 'string' || r['subject'] === '')
      return at(`tokens[${i}].subject`, 'must name who holds the token');
    if (!isRole(r['role'])) return at(`tokens[${i}].role`, 'must be viewer, operator or admin');
    return { sha256: r['sha256'], subject: r['subject'], role: r['role'] };
  });
  const readSecret = async (field: string, file: unknown): Promise<string | undefined> => {
    if (file === undefined) return undefined;
    if (typeof file !== 'string') return at(field, 'must be a file path');
    return (await readFile(file, 'utf8')).trim();
  };
  const tls = o['tls'] as Record<string, unknown> | undefined;
  const webhook = (o['webhook'] ?? {}) as Record<string, unknown>;
  const config: ControlApiConfig = {
    port,
    host: typeof o['host'] === 'string' ? o['host'] : '127.0.0.1',
    stateDir,
    staticTokens,
    webhookMappings: (webhook['mappings'] ?? []) as WebhookMapping[],
  };
  if (tls) {
    if (typeof tls['certFile'] !== 'string' || typeof tls['keyFile'] !== 'string')
      return at('tls', 'needs certFile and keyFile');
    config.tls = { cert: await readFile(tls['certFile']), key: await readFile(tls['keyFile']) };
  }
  if (o['jwt'] !== undefined) config.jwt = o['jwt'] as JwtConfig;
  const secret = await readSecret('webhook.secretFile', webhook['secretFile']);
  if (secret !== undefined) config.webhookSecret = secret;
  const auditKey = await readSecret('auditKeyFile', o['auditKeyFile']);
  if (auditKey !== undefined) config.auditKey = auditKey;
  return config;
}
