import { FlagProviderError } from '../domain/errors.js';
import {
  resolveFlagRef,
  type FlagDefaults,
  type FlagProvider,
  type FlagSnapshot,
} from '../domain/flags.js';
import type { FeatureFlagRef } from '../domain/types.js';
import type { FlagPort } from './ports.js';

/** The controller's FlagPort over a FlagProvider (Unleash's Admin API). */
export function flagPortFor(provider: FlagProvider, defaults: FlagDefaults): FlagPort {
  return {
    async snapshot(flag: FeatureFlagRef) {
      const snap = await provider.snapshot(resolveFlagRef(flag, defaults));
      return { ...snap } as unknown as Record<string, unknown>;
    },
    async setPercent(flag: FeatureFlagRef, percent: number) {
      await provider.setRolloutPercent(resolveFlagRef(flag, defaults), percent);
    },
    async restore(snapshot: Record<string, unknown>) {
      await provider.restore(asSnapshot(snapshot));
    },
  };
}

/** The snapshot comes back from the Rollout's status: check its shape before trusting it. */
function asSnapshot(raw: Record<string, unknown>): FlagSnapshot {
  const ref = raw['ref'] as Record<string, unknown> | undefined;
  const ok =
    typeof ref === 'object' &&
    ref !== null &&
    typeof ref['name'] === 'string' &&
    typeof ref['project'] === 'string' &&
    typeof ref['environment'] === 'string' &&
    typeof raw['enabled'] === 'boolean' &&
    Array.isArray(raw['strategies']) &&
    Array.isArray(raw['variants']);
  if (!ok) {
    throw new FlagProviderError(
      'the flag snapshot recorded on the Rollout status is malformed; restore the flag by hand',
      {
        retriable: false,
      },
    );
  }
  return raw as unknown as FlagSnapshot;
}
