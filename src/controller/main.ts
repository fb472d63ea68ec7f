#!/usr/bin/env node
// The controller process: `node dist/controller/main.js --prometheus-url http://prometheus:9090`.
import {
  NOTIFY_FORMATS,
  createWebhookNotifier,
  type Notifier,
  type NotifyFormat,
} from '../adapters/notify/webhook.js';
import { controllerProbes } from './probes.js';
import { readiness } from '../api/app.js';
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { Command, InvalidArgumentError } from 'commander';
import { createLogger, type Logger } from '../logging.js';
import { startRuntime } from './runtime.js';
import { flagPortFor } from './flags.js';
import { loadControlApiConfig, startControlApi } from './control-api.js';
import { UnleashAdmin } from '../adapters/unleash/admin.js';
import { errorMessage } from '../domain/errors.js';
import { parseSloInterval } from './slo-evaluator.js';

interface MainOptions {
  kubeconfig?: string;
  prometheusUrl?: string;
  namespace?: string;
  concurrency: number;
  leaderElect: boolean;
  leaseNamespace: string;
  identity: string;
  httpPort: number;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  unleashUrl?: string;
  apiConfig?: string;
  unleashProject: string;
  unleashEnvironment: string;
  slo: boolean;
  sloInterval: number;
  notifyUrl?: string;
  notifyFormat: string;
  notifyWarningsOnly?: boolean;
}

/** --notify-*: the PagerDuty routing key comes from $SLUICE_PAGERDUTY_ROUTING_KEY, not a flag. */
function notifierFrom(o: MainOptions, logger: Logger): Notifier {
  const format = o.notifyFormat as NotifyFormat;
  if (!NOTIFY_FORMATS.includes(format))
    throw new Error(
      `--notify-format must be one of ${NOTIFY_FORMATS.join(', ')}, got "${o.notifyFormat}"`,
    );
  return createWebhookNotifier({
    url: o.notifyUrl ?? '',
    format,
    minimum: o.notifyWarningsOnly ? 'warning' : 'all',
    routingKey: process.env.SLUICE_PAGERDUTY_ROUTING_KEY,
    logger,
  });
}

function sloInterval(value: string): number {
  try {
    return parseSloInterval(value);
  } catch (err) {
    throw new InvalidArgumentError(errorMessage(err));
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`"${value}" is not a non-negative integer`);
  return n;
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('sluice-controller')
    .description('Sluice progressive delivery controller')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, then in-cluster)')
    .option('--prometheus-url <url>', 'default Prometheus for analysis metrics')
    .option('--namespace <ns>', 'watch only this namespace')
    .option('--concurrency <n>', 'rollouts reconciled at once', positiveInt, 8)
    .option('--leader-elect', 'elect one leader through a Lease', false)
    .option('--lease-namespace <ns>', 'namespace of the leader Lease', 'sluice-system')
    .option('--identity <id>', 'this replica in the Lease', process.env.POD_NAME ?? hostname())
    .option('--http-port <port>', 'health and metrics port (0 = off)', positiveInt, 8080)
    .option('--log-level <level>', 'error, warn, info or debug', 'info')
    .option(
      '--unleash-url <url>',
      "Unleash's base URL; its Admin API token comes from $UNLEASH_API_TOKEN",
    )
    .option('--unleash-project <p>', 'default project of spec.featureFlags', 'default')
    .option('--unleash-environment <e>', 'default environment of spec.featureFlags', 'development')
    .option(
      '--notify-url <url>',
      'send rollout transitions here (Slack incoming webhook, PagerDuty Events API v2, or JSON)',
    )
    .option('--notify-format <format>', `body format: ${NOTIFY_FORMATS.join(', ')}`, 'json')
    .option('--notify-warnings-only', 'notify only Warning transitions (rollbacks, freezes)')
    .option('--no-slo', 'do not watch or evaluate ServiceLevelObjectives')
    .option(
      '--slo-interval <duration>',
      'how often SLO budgets and burn rates are evaluated (at most 10m)',
      sloInterval,
      60_000,
    )
    .parse(argv);
  const o = program.opts<MainOptions>();
  const logger = createLogger({ level: o.logLevel });
  const kc = new KubeConfig();
  if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
  else kc.loadFromDefault();
  const token = process.env.UNLEASH_API_TOKEN;
  if (o.unleashUrl && !token)
    throw new Error(
      '--unleash-url needs the Admin API token in $UNLEASH_API_TOKEN (mount it from a Secret)',
    );
  const flagDefaults = { project: o.unleashProject, environment: o.unleashEnvironment };
  const unleash =
    o.unleashUrl && token ? new UnleashAdmin({ url: o.unleashUrl, token, logger }) : undefined;
  const flags = unleash ? flagPortFor(unleash, flagDefaults) : undefined;
  const notifier = o.notifyUrl ? notifierFrom(o, logger) : undefined;
  const runtime = await startRuntime({
    flags,
    notifier,
    kubeConfig: kc,
    logger,
    prometheusUrl: o.prometheusUrl,
    namespace: o.namespace,
    concurrency: o.concurrency,
    leaderElection: o.leaderElect
      ? { namespace: o.leaseNamespace, name: 'sluice-controller', identity: o.identity }
      : undefined,
    ...(o.slo ? { slo: { intervalMs: o.sloInterval } } : {}),
  });
  const probes = controllerProbes({
    clients: runtime.clients,
    prometheusUrl: o.prometheusUrl,
    unleashUrl: o.unleashUrl,
    leadership: () => runtime.isLeader(),
  });
  const api = o.apiConfig
    ? await startControlApi(await loadControlApiConfig(o.apiConfig), {
        kubeConfig: kc,
        readCache: runtime.rollouts,
        logger,
        probes,
        ...(unleash ? { flags: { admin: unleash, defaults: flagDefaults } } : {}),
      })
    : undefined;
  if (api) logger.info('control API listening', { url: api.url });
  const server = createServer((req, res) => {
    if (req.url === '/healthz') return void res.writeHead(200).end('ok');
    if (req.url === '/readyz') {
      // Deep: the API server, Prometheus and Unleash answer (see probes.ts).
      void readiness(probes, 2000).then((r) => {
        res
          .writeHead(r.status, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ...r.body, leader: runtime.isLeader() }));
      });
      return;
    }
    if (req.url === '/metrics') {
      void runtime.controller.metrics.registry.metrics().then((text) => {
        res
          .writeHead(200, { 'content-type': runtime.controller.metrics.registry.contentType })
          .end(text);
      });
      return;
    }
    res.writeHead(404).end();
  });
  if (o.httpPort > 0) server.listen(o.httpPort);
  logger.info('controller started', { namespace: o.namespace ?? '*', leaderElect: o.leaderElect });
  const shutdown = (signal: string): void => {
    logger.info('shutting down', { signal });
    server.close();
    void Promise.all([api?.close(), runtime.stop()]).then(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv).catch((err: unknown) => {
    console.error(`sluice-controller: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
