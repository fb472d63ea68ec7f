// Shared set-up for the sandbox API server suites.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
} from '@kubernetes/client-node';
import {
  startApiServer,
  type ApiServer,
  type ApiServerOptions,
} from '../../src/sandbox/apiserver/index.js';
import { kubeConfigFor } from '../support/kube.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** The test CRDs (widgets: namespaced with status+scale; gadgets: cluster scoped). */
export function fixtureCrds(): object[] {
  const text = readFileSync(join(FIXTURES, 'widgets-crd.yaml'), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as object);
}

export interface Sandbox {
  server: ApiServer;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
}

/** Starts a server with the repo CRDs plus the fixture CRDs. Close it with `server.close()`. */
export async function startSandbox(options: ApiServerOptions = {}): Promise<Sandbox> {
  const server = await startApiServer({ crds: fixtureCrds(), ...options });
  const kc = kubeConfigFor(server.url);
  return {
    server,
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    coordination: kc.makeApiClient(CoordinationV1Api),
  };
}

export const WIDGETS = { group: 'test.sluice.dev', version: 'v1', plural: 'widgets' } as const;

export function widget(
  name: string,
  spec: Record<string, unknown> = { size: 3 },
): Record<string, unknown> {
  return { apiVersion: 'test.sluice.dev/v1', kind: 'Widget', metadata: { name }, spec };
}

export interface ApiErrorShape {
  code: number;
  body: Record<string, unknown>;
}

/** Runs `fn`, expecting client-node to throw an ApiException; returns its code and parsed Status. */
export async function apiError(fn: () => Promise<unknown>): Promise<ApiErrorShape> {
  try {
    await fn();
  } catch (err) {
    const e = err as { code?: unknown; body?: unknown };
    if (typeof e.code !== 'number') throw err;
    const body: unknown = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
    return { code: e.code, body: body as Record<string, unknown> };
  }
  throw new Error('expected the API call to fail, but it succeeded');
}

export function deployment(
  name: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name: 'app', image: 'example/app:1', env: [{ name: 'VERSION', value: '1' }] },
          ],
        },
      },
      ...extra,
    },
  };
}
