import { VersionApi } from '@kubernetes/client-node';
import type { KubeClients } from '../adapters/kubernetes/client.js';
import type { Probe } from '../api/app.js';

// Deep readiness (DESIGN: /readyz): the API server, Prometheus and, when configured, Unleash
// answer, and leadership is known. Each probe is one cheap request cut at the caller's signal;
// /readyz runs them in parallel and says which one failed.

export interface ProbeTargets {
  clients: KubeClients;
  prometheusUrl?: string | undefined;
  unleashUrl?: string | undefined;
  /** Undefined while no election has finished yet. */
  leadership: () => boolean | undefined;
}

async function answers(url: string, signal: AbortSignal, what: string): Promise<void> {
  const res = await fetch(url, { signal });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`${what} answered HTTP ${res.status}`);
}

export function controllerProbes(t: ProbeTargets): Record<string, Probe> {
  const version = t.clients.config.makeApiClient(VersionApi);
  const probes: Record<string, Probe> = {
    // /version is readable by every authenticated caller (no extra RBAC).
    apiserver: async (signal) => {
      await t.clients.call({ verb: 'get', kind: 'Version' }, (o) => version.getCode(undefined, o), {
        signal,
      });
    },
    leadership: async () => {
      if (t.leadership() === undefined) throw new Error('no leader election has finished yet');
    },
  };
  const prom = t.prometheusUrl;
  if (prom)
    probes.prometheus = (signal) =>
      answers(`${prom.replace(/\/$/, '')}/-/ready`, signal, 'Prometheus');
  const unleash = t.unleashUrl;
  if (unleash)
    probes.unleash = (signal) => answers(`${unleash.replace(/\/$/, '')}/health`, signal, 'Unleash');
  return probes;
}
