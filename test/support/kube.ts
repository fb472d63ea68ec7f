// Shared helpers for tests that talk to the sandbox API server through @kubernetes/client-node
// or through the real kubectl.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  PatchStrategy,
  setHeaderOptions,
  type ConfigurationOptions,
  type ObservableMiddleware,
} from '@kubernetes/client-node';

const CLUSTER = 'sandbox';

export { kubeConfigFor } from '../../src/sandbox/kubeconfig.js';

/** Writes a kubeconfig for `url` into `dir` (a temp dir the test made) and returns its path. */
export function writeKubeconfig(url: string, dir: string): string {
  const path = join(dir, 'kubeconfig');
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${CLUSTER}`,
    '  cluster:',
    `    server: ${url}`,
    'users:',
    `- name: ${CLUSTER}`,
    '  user: {}',
    'contexts:',
    `- name: ${CLUSTER}`,
    '  context:',
    `    cluster: ${CLUSTER}`,
    `    user: ${CLUSTER}`,
    '    namespace: default',
    `current-context: ${CLUSTER}`,
    '',
  ].join('\n');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

export const PATCH_KINDS = ['json', 'merge', 'strategic'] as const;
export type PatchKind = (typeof PATCH_KINDS)[number];

/**
 * Request options that make a client-node 1.4 patch call send the given patch content type.
 * Pass it as the last argument, e.g.
 * `custom.patchNamespacedCustomObject({group, version, namespace, plural, name, body}, patchOptions('merge'))`.
 * NOTE: without it client-node 1.4 sends `application/json-patch+json` (the first type the
 * OpenAPI spec lists), so a merge-patch body would be rejected as an invalid JSON patch.
 */
export function patchOptions(type: PatchKind): ConfigurationOptions<ObservableMiddleware> {
  switch (type) {
    case 'json':
      return setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
    case 'merge':
      return setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    case 'strategic':
      return setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
    default: {
      const never: never = type;
      throw new Error(`unknown patch type ${String(never)}`);
    }
  }
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** The kubeconfig file (from writeKubeconfig). */
  kubeconfig: string;
  /** A temp dir for kubectl's discovery cache and HOME, so nothing is written elsewhere. */
  workDir: string;
  /** Text for stdin (e.g. a manifest with `-f -`). */
  input?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Runs the real /usr/bin/kubectl against the sandbox; never throws on a non-zero exit. */
export function kubectl(args: string[], options: KubectlOptions): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      '/usr/bin/kubectl',
      [`--cache-dir=${join(options.workDir, 'kube-cache')}`, ...args],
      {
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: options.workDir,
          KUBECONFIG: options.kubeconfig,
        },
        timeout: options.timeoutMs ?? 15_000,
        signal: options.signal,
        maxBuffer: 10 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(new Error(`kubectl ${args.join(' ')} failed to run: ${err.message}\n${stderr}`));
          return;
        }
        resolve({ code: err && typeof err.code === 'number' ? err.code : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}
