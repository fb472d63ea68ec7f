import { FlagProviderError } from '../../domain/errors.js';
import {
  isPercent,
  type CallOptions,
  type Flag,
  type FlagCatalog,
  type FlagProvider,
  type FlagRef,
  type FlagSnapshot,
  type FlagSummary,
  type FlagVariant,
  type FlagWrite,
  type RolloutStrategyOptions,
} from '../../domain/flags.js';
import type { Logger } from '../../logging.js';
import { UnleashHttp, type HttpMethod, type UnleashHttpOptions } from './http.js';
import { parseFeatureList } from './list.js';
import { parseFeatureEnvironment, parsed, parseStrategy } from './parse.js';
import { checkVariants, managedRollout, pickManaged, sameJson, strategyBody } from './strategy.js';

// Unleash Admin API client for one flag at a time, through the project-scoped endpoints
// (/api/admin/projects/:project/features/:flag/environments/:env/...). Every write is preceded
// by a read, and skipped when the flag already is as asked, so a reconcile that changes
// nothing writes nothing.

export interface UnleashAdminOptions extends UnleashHttpOptions {
  logger?: Logger;
}

const FLEXIBLE_ROLLOUT = 'flexibleRollout';

export class UnleashAdmin implements FlagProvider, FlagCatalog {
  readonly #http: UnleashHttp;
  readonly #logger: Logger | undefined;

  constructor(options: UnleashAdminOptions) {
    this.#http = new UnleashHttp(options);
    this.#logger = options.logger;
  }

  async getFlag(ref: FlagRef, options: CallOptions = {}): Promise<Flag> {
    const what = `reading flag ${describe(ref)}`;
    const call = { what, signal: options.signal };
    // The environment view leaves out strategy segments; the strategies list has them.
    const [envBody, strategiesBody] = await Promise.all([
      this.#http.request('GET', envPath(ref), undefined, call),
      this.#http.request('GET', `${envPath(ref)}/strategies`, undefined, call),
    ]);
    const env = parsed(what, () => parseFeatureEnvironment(envBody, strategiesBody));
    const managed = pickManaged(env.strategies);
    return {
      ref: { ...ref },
      ...env,
      rollout: managed && parsed(what, () => managedRollout(managed)),
    };
  }

  async listFlags(
    scope: { project: string; environment: string },
    options: CallOptions = {},
  ): Promise<FlagSummary[]> {
    const what = `listing the flags of project ${scope.project} in ${scope.environment}`;
    const body = await this.#http.request(
      'GET',
      `/api/admin/projects/${enc(scope.project)}/features`,
      undefined,
      { what, signal: options.signal },
    );
    return parsed(what, () => parseFeatureList(body, scope.environment));
  }

  async snapshot(ref: FlagRef, options: CallOptions = {}): Promise<FlagSnapshot> {
    const { rollout: _rollout, ...snapshot } = await this.getFlag(ref, options);
    return snapshot;
  }

  async setRolloutPercent(
    ref: FlagRef,
    percent: number,
    options: RolloutStrategyOptions & CallOptions = {},
  ): Promise<FlagWrite> {
    const what = `setting the rollout of flag ${describe(ref)} to ${percent}%`;
    if (!isPercent(percent))
      throw new FlagProviderError(`${what}: the percentage must be an integer from 0 to 100`, {
        reason: 'invalid',
      });
    const flag = await this.getFlag(ref, options);
    const managed = pickManaged(flag.strategies, options.groupId);
    if (managed === undefined) {
      await this.#createRollout(ref, what, percent, [], options);
      return { writes: 1 };
    }
    const current = parsed(what, () => managedRollout(managed));
    if (current.percent === percent) return { writes: 0 };
    const patch = [{ op: 'replace', path: '/parameters/rollout', value: String(percent) }];
    const written = await this.#write(
      'PATCH',
      `${envPath(ref)}/strategies/${enc(managed.id)}`,
      patch,
      what,
      options,
    );
    const after = parsed(what, () => managedRollout(parseStrategy(written, 'strategy')));
    if (
      after.percent !== percent ||
      after.groupId !== current.groupId ||
      after.stickiness !== current.stickiness
    )
      throw new FlagProviderError(`${what}: Unleash stored ${JSON.stringify(after)} instead`, {
        reason: 'unknown',
      });
    return { writes: 1 };
  }

  async setVariants(
    ref: FlagRef,
    variants: FlagVariant[],
    options: RolloutStrategyOptions & CallOptions = {},
  ): Promise<FlagWrite> {
    const what = `setting the variants of flag ${describe(ref)}`;
    const problem = checkVariants(variants);
    if (problem !== undefined)
      throw new FlagProviderError(`${what}: ${problem}`, { reason: 'invalid' });
    const flag = await this.getFlag(ref, options);
    const managed = pickManaged(flag.strategies, options.groupId);
    if (managed === undefined) {
      // A new strategy starts at 0%: variants alone never expose anyone.
      await this.#createRollout(ref, what, 0, variants, options);
      return { writes: 1 };
    }
    if (sameJson(managed.variants, variants)) return { writes: 0 };
    const patch = [{ op: 'replace', path: '/variants', value: variants }];
    await this.#write(
      'PATCH',
      `${envPath(ref)}/strategies/${enc(managed.id)}`,
      patch,
      what,
      options,
    );
    return { writes: 1 };
  }

  enable(ref: FlagRef, options: CallOptions = {}): Promise<FlagWrite> {
    return this.#setEnabled(ref, true, options);
  }

  disable(ref: FlagRef, options: CallOptions = {}): Promise<FlagWrite> {
    return this.#setEnabled(ref, false, options);
  }

  /**
   * Puts the flag back as `snapshot` recorded it. Strategies that still exist keep their ids;
   * one deleted meanwhile is created again (Unleash gives it a new id). Reads back and checks.
   */
  async restore(snapshot: FlagSnapshot, options: CallOptions = {}): Promise<FlagWrite> {
    const ref = snapshot.ref;
    const what = `restoring flag ${describe(ref)}`;
    const now = await this.getFlag(ref, options);
    let writes = 0;
    // Off first and on last: Unleash adds a default strategy when a flag is turned on
    // without an enabled one, and turns a flag off when its last strategy is disabled.
    if (!snapshot.enabled && now.enabled) writes += await this.#onOff(ref, false, what, options);
    const wanted = new Set(snapshot.strategies.map((s) => s.id));
    for (const s of now.strategies.filter((x) => !wanted.has(x.id))) {
      await this.#write(
        'DELETE',
        `${envPath(ref)}/strategies/${enc(s.id)}`,
        undefined,
        what,
        options,
      );
      writes++;
    }
    const current = new Map(now.strategies.map((s) => [s.id, s]));
    for (const s of snapshot.strategies) {
      const existing = current.get(s.id);
      if (existing !== undefined && sameJson(strategyBody(existing), strategyBody(s))) continue;
      const path = existing
        ? `${envPath(ref)}/strategies/${enc(s.id)}`
        : `${envPath(ref)}/strategies`;
      await this.#write(existing ? 'PUT' : 'POST', path, strategyBody(s), what, options);
      writes++;
    }
    if (!sameJson(now.variants, snapshot.variants)) {
      await this.#write('PUT', `${envPath(ref)}/variants`, snapshot.variants, what, options);
      writes++;
    }
    // Unleash turns a flag off by itself when its last strategy goes, so ask again.
    const enabledNow = writes > 0 ? (await this.getFlag(ref, options)).enabled : now.enabled;
    if (snapshot.enabled && !enabledNow) writes += await this.#onOff(ref, true, what, options);
    if (writes > 0) await this.#verifyRestored(snapshot, what, options);
    return { writes };
  }

  async #verifyRestored(snapshot: FlagSnapshot, what: string, options: CallOptions): Promise<void> {
    const after = await this.snapshot(snapshot.ref, options);
    const strip = (s: FlagSnapshot): unknown => ({
      enabled: s.enabled,
      strategies: s.strategies.map(strategyBody),
      variants: s.variants,
    });
    if (!sameJson(strip(after), strip(snapshot)))
      throw new FlagProviderError(
        `${what}: Unleash does not hold the recorded state after the writes`,
        {
          reason: 'unknown',
          details: { expected: strip(snapshot), actual: strip(after) },
        },
      );
  }

  async #setEnabled(ref: FlagRef, enabled: boolean, options: CallOptions): Promise<FlagWrite> {
    const what = `${enabled ? 'enabling' : 'disabling'} flag ${describe(ref)}`;
    const flag = await this.getFlag(ref, options);
    if (flag.enabled === enabled) return { writes: 0 };
    return { writes: await this.#onOff(ref, enabled, what, options) };
  }

  async #onOff(ref: FlagRef, on: boolean, what: string, options: CallOptions): Promise<number> {
    await this.#write('POST', `${envPath(ref)}/${on ? 'on' : 'off'}`, undefined, what, options);
    return 1;
  }

  async #createRollout(
    ref: FlagRef,
    what: string,
    percent: number,
    variants: FlagVariant[],
    options: RolloutStrategyOptions & CallOptions,
  ): Promise<void> {
    const body = {
      name: FLEXIBLE_ROLLOUT,
      parameters: {
        rollout: String(percent),
        groupId: options.groupId ?? ref.name,
        stickiness: options.stickiness ?? 'default',
      },
      constraints: [],
      variants,
    };
    await this.#write('POST', `${envPath(ref)}/strategies`, body, what, options);
  }

  async #write(
    method: HttpMethod,
    path: string,
    body: unknown,
    what: string,
    options: CallOptions,
  ): Promise<unknown> {
    const answer = await this.#http.request(method, path, body, { what, signal: options.signal });
    this.#logger?.debug('unleash write', { method, path });
    return answer;
  }
}

export function describe(ref: FlagRef): string {
  return `${ref.project}/${ref.name} in ${ref.environment}`;
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function envPath(ref: FlagRef): string {
  return `/api/admin/projects/${enc(ref.project)}/features/${enc(ref.name)}/environments/${enc(ref.environment)}`;
}
