// The example app's settings, read once from the environment at start-up.

export interface AppConfig {
  /** 0 asks the kernel for a free port. */
  port: number;
  host: string;
  version: string;
  /** Sent as x-pod, so a test can tell replicas of one version apart. Default "<version>-<pid>". */
  podName: string;
  /** Share of `GET /` requests answered 500, 0..1. */
  failRate: number;
  latencyMs: number;
  latencyJitterMs: number;
  /** Seeds the latency jitter so runs repeat. */
  seed: number;
}

export function readAppConfig(env: NodeJS.ProcessEnv): AppConfig {
  return {
    port: intIn(env, 'PORT', 0, 0, 65535),
    host: env['HOST'] ?? '127.0.0.1',
    version: env['VERSION'] ?? 'v1',
    podName: env['POD_NAME'] ?? `${env['VERSION'] ?? 'v1'}-${process.pid}`,
    failRate: numberIn(env, 'FAIL_RATE', 0, 0, 1),
    latencyMs: intIn(env, 'LATENCY_MS', 0, 0, 600_000),
    latencyJitterMs: intIn(env, 'LATENCY_JITTER_MS', 0, 0, 600_000),
    seed: intIn(env, 'SEED', 1, 0, 2 ** 31 - 1),
  };
}

function numberIn(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number) {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name}=${raw}: expected a number from ${min} to ${max}`);
  }
  return value;
}

function intIn(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number) {
  const value = numberIn(env, name, def, min, max);
  if (!Number.isInteger(value)) throw new Error(`${name}=${env[name]}: expected an integer`);
  return value;
}
