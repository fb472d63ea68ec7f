import type { FlagSummary } from '../../domain/flags.js';
import { Malformed } from './parse.js';

// GET /api/admin/projects/:project/features, checked and reduced to one environment.

export function parseFeatureList(body: unknown, environment: string): FlagSummary[] {
  const features = (body as { features?: unknown } | null)?.features;
  if (!Array.isArray(features)) throw new Malformed('features: not an array');
  return features.map((raw: unknown, i): FlagSummary => {
    const at = `features[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new Malformed(`${at}: not an object`);
    const f = raw as Record<string, unknown>;
    if (typeof f.name !== 'string') throw new Malformed(`${at}.name: not a string`);
    const envs = Array.isArray(f.environments) ? (f.environments as unknown[]) : [];
    const env = envs.find(
      (e): e is Record<string, unknown> =>
        typeof e === 'object' && e !== null && (e as { name?: unknown }).name === environment,
    );
    return {
      name: f.name,
      type: typeof f.type === 'string' ? f.type : 'release',
      stale: f.stale === true,
      enabled: env?.enabled === true,
      hasStrategies: env?.hasStrategies === true,
    };
  });
}
