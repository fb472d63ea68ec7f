import type { KubeConfig } from '@kubernetes/client-node';
import { createKubeClients } from '../adapters/kubernetes/client.js';
import { sloAccess } from '../adapters/kubernetes/parse-slo.js';
import type { StatusAccess } from '../adapters/kubernetes/resources.js';
import { SluiceError } from '../domain/errors.js';
import type { ServiceLevelObjective } from '../domain/slo/index.js';
import type { RolloutRef } from './backend.js';
import { NotFoundError, UnavailableError } from './errors.js';

// What the API needs from wherever ServiceLevelObjectives live: reads only. The controller's
// SLO evaluator writes their status; the API shows it.

export interface SloBackend {
  list(namespace: string, signal?: AbortSignal): Promise<ServiceLevelObjective[]>;
  /** Throws NotFoundError naming the SLO. */
  get(ref: RolloutRef, signal?: AbortSignal): Promise<ServiceLevelObjective>;
}

/** SloBackend on the Kubernetes API (sluice.dev/v1alpha1 servicelevelobjectives). */
export class KubeSloBackend implements SloBackend {
  private readonly access: StatusAccess<ServiceLevelObjective>;

  constructor(kubeConfig: KubeConfig, options: { timeoutMs?: number } = {}) {
    this.access = sloAccess(
      createKubeClients(kubeConfig, { timeoutMs: options.timeoutMs ?? 10_000 }),
    );
  }

  async list(namespace: string, signal?: AbortSignal): Promise<ServiceLevelObjective[]> {
    try {
      // Objects that do not parse are left out; the controller reports them on their status.
      return (await this.access.list({ namespace, signal })).items;
    } catch (err) {
      throw unavailable(`list SLOs in ${namespace}`, err);
    }
  }

  async get(ref: RolloutRef, signal?: AbortSignal): Promise<ServiceLevelObjective> {
    try {
      return await this.access.get(ref, { signal });
    } catch (err) {
      if (err instanceof SluiceError && err.code === 'NotFound')
        throw new NotFoundError(
          `ServiceLevelObjective ${ref.namespace}/${ref.name} not found; list them with GET /api/v1/namespaces/${ref.namespace}/slos`,
          { details: { kind: 'ServiceLevelObjective', name: ref.name } },
        );
      throw unavailable(`get SLO ${ref.namespace}/${ref.name}`, err);
    }
  }
}

// NOTE: the API server's own 401/403 concern the controller's credentials, not the caller's,
// so every other failure is a 503 here.
function unavailable(what: string, err: unknown): SluiceError {
  return new UnavailableError(`${what}: the Kubernetes API did not answer as expected`, {
    cause: err,
  });
}
