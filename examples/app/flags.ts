import { InMemStorageProvider, Unleash } from 'unleash-client';

// How the example app asks Unleash about a flag: the official Node SDK evaluating locally,
// with the user id as the sticky context field, so a user keeps their answer while the
// rollout percentage only grows (Unleash hashes groupId:userId into 1..100).

export interface FlagEvaluatorOptions {
  /** Unleash base URL, e.g. http://127.0.0.1:4242 (the client API lives under /api). */
  url: string;
  /** A backend (client) token for the environment to evaluate in. */
  clientToken: string;
  appName: string;
  /** How often to fetch flag definitions. Default 1000 ms (the SDK's default is 15 s). */
  refreshIntervalMs?: number;
  /** Give up waiting for the first definitions after this long. Default 10 s. */
  readyTimeoutMs?: number;
}

export interface VariantAnswer {
  /** "disabled" when the user is not exposed or the flag has no variants. */
  name: string;
  enabled: boolean;
  payload?: { type: string; value: string };
}

export interface FlagEvaluator {
  isEnabled(flag: string, userId: string): boolean;
  variant(flag: string, userId: string): VariantAnswer;
  /** The flexibleRollout percentage this client currently knows for `flag`, if any. */
  knownRollout(flag: string): number | undefined;
  close(): void;
}

export async function createFlagEvaluator(options: FlagEvaluatorOptions): Promise<FlagEvaluator> {
  const client = new Unleash({
    url: `${options.url.replace(/\/+$/, '')}/api/`,
    appName: options.appName,
    customHeaders: { Authorization: options.clientToken },
    refreshInterval: options.refreshIntervalMs ?? 1000,
    disableMetrics: true,
    timeout: 5000,
    // Keep the SDK's backup copy in memory: it would otherwise write a file into os.tmpdir().
    storageProvider: new InMemStorageProvider(),
    skipInstanceCountWarning: true,
  });
  try {
    await ready(client, options.readyTimeoutMs ?? 10_000);
  } catch (err) {
    client.destroy();
    throw err;
  }
  return {
    isEnabled: (flag, userId) => client.isEnabled(flag, { userId }),
    variant(flag, userId) {
      const v = client.getVariant(flag, { userId });
      return {
        name: v.name,
        enabled: v.enabled,
        ...(v.payload ? { payload: { type: v.payload.type, value: v.payload.value } } : {}),
      };
    },
    knownRollout(flag) {
      const def = client.getFeatureToggleDefinition(flag);
      const s = def?.strategies?.find((x) => x.name === 'flexibleRollout');
      const rollout = s?.parameters?.rollout as unknown;
      return rollout === undefined ? undefined : Number(rollout);
    },
    close: () => client.destroy(),
  };
}

function ready(client: Unleash, timeoutMs: number): Promise<void> {
  if (client.isSynchronized()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(`unleash-client: no flag definitions within ${timeoutMs} ms (${lastError})`),
      );
    }, timeoutMs);
    let lastError = 'no answer yet';
    const onError = (err: unknown): void => {
      lastError = err instanceof Error ? err.message : String(err);
    };
    const onSynced = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('synchronized', onSynced);
      client.off('error', onError);
    };
    client.on('synchronized', onSynced);
    client.on('error', onError);
  });
}
