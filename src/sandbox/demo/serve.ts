import { controllerProbes } from '../../controller/probes.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hashToken } from '../../api/auth.js';
import { startControlApi } from '../../controller/control-api.js';
import type { Logger } from '../../logging.js';
import { startLoad } from '../load.js';
import { applyDemoApp } from './demo.js';
import { applyRolloutWithFlag, startFlagsController } from './flags-demo.js';
import { DEMO_FLAG, startDemoFlags, type DemoFlags } from './flags-unleash.js';
import { startStack } from './stack.js';

// `npm run demo -- --serve [--json]`: the sandbox, Prometheus, the controller and the control
// API with one example Rollout, kept running until interrupted, for trying Sluice by hand or
// from a pipeline script.

export interface ServeInfo {
  apiUrl: string;
  operatorToken: string;
  viewerToken: string;
  adminToken: string;
  webhookSecret: string;
  rollout: { namespace: string; name: string };
  kubeApiUrl: string;
  prometheusUrl: string;
  proxyUrl: string;
  /** With --with-flags: the demo's Unleash and the flag linked to the Rollout. */
  unleash?: { url: string; flag: string };
}

export interface ServeOptions {
  logger: Logger;
  print: (line: string) => void;
  /** Called once everything is up. */
  ready: (info: ServeInfo) => void;
  signal: AbortSignal;
  /** Start Unleash too, link a flag to the Rollout and serve the flag routes. */
  withFlags?: boolean;
}

function token(): string {
  return randomBytes(24).toString('base64url');
}

export async function serveDemo(o: ServeOptions): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), 'sluice-serve-'));
  const flags: DemoFlags | undefined = o.withFlags
    ? await startDemoFlags({ logger: o.logger, signal: o.signal })
    : undefined;
  const stack = await startStack({ logger: o.logger, controller: !flags }).catch(
    async (err: unknown) => {
      await flags?.stop();
      throw err;
    },
  );
  const flagRuntime = flags
    ? await startFlagsController(stack, flags, o.logger).catch(async (err: unknown) => {
        await stack.stop();
        await flags.stop();
        throw err;
      })
    : undefined;
  const tokens = { operator: token(), viewer: token(), admin: token() };
  const webhookSecret = token();
  let api: Awaited<ReturnType<typeof startControlApi>> | undefined;
  const load = startLoad({ url: stack.proxy.url, rps: 20, maxDurationMs: 24 * 3600_000 });
  try {
    await applyDemoApp(stack);
    if (flags) await applyRolloutWithFlag(stack);
    else await stack.apply('examples/demo/rollout.yaml');
    if (!stack.runtime) throw new Error('the controller is not running');
    api = await startControlApi(
      {
        port: 0,
        stateDir,
        staticTokens: [
          { sha256: hashToken(tokens.operator), subject: 'demo-operator', role: 'operator' },
          { sha256: hashToken(tokens.viewer), subject: 'demo-viewer', role: 'viewer' },
          { sha256: hashToken(tokens.admin), subject: 'demo-admin', role: 'admin' },
        ],
        webhookSecret,
        webhookMappings: [
          {
            repository: 'acme/shop',
            workflow: 'build',
            environment: 'production',
            rollout: { namespace: 'demo', name: 'shop' },
            container: 'app',
            image: 'example-app:{sha}',
          },
        ],
      },
      {
        kubeConfig: stack.kubeConfig,
        readCache: stack.runtime.rollouts,
        logger: o.logger,
        probes: controllerProbes({
          clients: stack.runtime.clients,
          prometheusUrl: stack.prometheus.url,
          unleashUrl: flags?.unleash.url,
          leadership: () => stack.runtime?.isLeader(),
        }),
        ...(flags ? { flags: { admin: flags.admin, defaults: flags.ref } } : {}),
      },
    );
    o.ready({
      apiUrl: api.url,
      operatorToken: tokens.operator,
      viewerToken: tokens.viewer,
      adminToken: tokens.admin,
      webhookSecret,
      rollout: { namespace: 'demo', name: 'shop' },
      kubeApiUrl: stack.api.url,
      prometheusUrl: stack.prometheus.url,
      proxyUrl: stack.proxy.url,
      ...(flags ? { unleash: { url: flags.unleash.url, flag: DEMO_FLAG } } : {}),
    });
    await new Promise<void>((resolve) => {
      if (o.signal.aborted) return resolve();
      o.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    await load.stop();
    await api?.close();
    await flagRuntime?.stop();
    await stack.stop();
    await flags?.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
