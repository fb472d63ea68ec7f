import { InMemStorageProvider, Unleash } from 'unleash-client';
import { UnleashAdmin } from '../../adapters/unleash/admin.js';
import type { FlagRef } from '../../domain/flags.js';
import type { Logger } from '../../logging.js';
import { startPostgres, type PostgresInstance } from '../postgres.js';
import { startUnleash, type UnleashInstance } from '../unleash.js';

// The demo's flag side: a private PostgreSQL, a real unleash-server on it, one release flag at
// 0% (flexibleRollout, userId stickiness), and a crowd of simulated users who each ask Unleash
// through unleash-client whether they see the feature, exactly as the app's users would.

export const DEMO_FLAG = 'shop-new-checkout';

export interface DemoFlags {
  unleash: UnleashInstance;
  admin: UnleashAdmin;
  ref: FlagRef;
  /** Share of the simulated users who see the feature now (0-100, one decimal). */
  exposedPercent(): number;
  /** The rollout percent Unleash holds now (Admin API). */
  rolloutPercent(signal?: AbortSignal): Promise<number | undefined>;
  /** Waits until the users' client knows what Unleash holds (it refreshes every 250 ms). */
  settle(timeoutMs?: number): Promise<number | undefined>;
  /** A developer puts the feature back to 0% before the next release ships. */
  resetToZero(): Promise<void>;
  stop(): Promise<void>;
}

export interface DemoFlagsOptions {
  logger: Logger;
  /** How many simulated users. Default 10,000 (sampling noise about half a point). */
  users?: number;
  signal?: AbortSignal;
}

export async function startDemoFlags(o: DemoFlagsOptions): Promise<DemoFlags> {
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const pg: PostgresInstance = await startPostgres(o.signal ? { signal: o.signal } : {});
    cleanups.push(() => pg.stop());
    await pg.createDatabase('unleash');
    const unleash = await startUnleash({
      db: pg.db('unleash'),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    cleanups.push(() => unleash.stop());
    const admin = new UnleashAdmin({
      url: unleash.url,
      token: unleash.adminToken,
      logger: o.logger,
    });
    const ref: FlagRef = { project: 'default', environment: 'development', name: DEMO_FLAG };
    await createFeature(unleash, DEMO_FLAG);
    await admin.setRolloutPercent(ref, 0, { groupId: DEMO_FLAG, stickiness: 'userId' });
    await admin.enable(ref);
    const client = await startUsersClient(unleash);
    cleanups.push(async () => client.destroy());
    const users = Array.from({ length: o.users ?? 10_000 }, (_, i) => `user-${i}`);
    const rolloutPercent = async (signal?: AbortSignal) =>
      (await admin.getFlag(ref, signal ? { signal } : {})).rollout?.percent;
    return {
      unleash,
      admin,
      ref,
      exposedPercent() {
        const seen = users.filter((u) => client.isEnabled(DEMO_FLAG, { userId: u })).length;
        return Math.round((seen / users.length) * 1000) / 10;
      },
      rolloutPercent,
      async settle(timeoutMs = 5000) {
        const end = Date.now() + timeoutMs;
        for (;;) {
          const held = await rolloutPercent();
          if (knownRollout(client) === held || Date.now() > end) return held;
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      async resetToZero() {
        await admin.setRolloutPercent(ref, 0);
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Creates a release flag in project `default` (the adapter only changes existing flags). */
async function createFeature(unleash: UnleashInstance, name: string): Promise<void> {
  const res = await fetch(`${unleash.url}/api/admin/projects/default/features`, {
    method: 'POST',
    headers: { authorization: unleash.adminToken, 'content-type': 'application/json' },
    body: JSON.stringify({ name, type: 'release' }),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok)
    throw new Error(`creating flag ${name} in Unleash: HTTP ${res.status} ${await res.text()}`);
}

/** The users' SDK client (src/ cannot import examples/, so this mirrors its setup). */
async function startUsersClient(unleash: UnleashInstance): Promise<Unleash> {
  const client = new Unleash({
    url: `${unleash.url}/api/`,
    appName: 'sluice-demo-users',
    customHeaders: { Authorization: unleash.clientToken },
    refreshInterval: 250,
    disableMetrics: true,
    timeout: 5000,
    storageProvider: new InMemStorageProvider(),
    skipInstanceCountWarning: true,
  });
  client.on('error', () => undefined);
  if (!client.isSynchronized())
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.destroy();
        reject(new Error('unleash-client: no flag definitions within 10 s'));
      }, 10_000);
      client.once('synchronized', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  return client;
}

function knownRollout(client: Unleash): number | undefined {
  const def = client.getFeatureToggleDefinition(DEMO_FLAG);
  const rollout = def?.strategies?.find((x) => x.name === 'flexibleRollout')?.parameters
    ?.rollout as unknown;
  return rollout === undefined ? undefined : Number(rollout);
}
