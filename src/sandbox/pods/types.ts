// The pod simulator's model: simulated pods, and the runner that starts real processes.

export const ANNOTATIONS = {
  readyAfterMs: 'sandbox.sluice.dev/ready-after-ms',
  neverReady: 'sandbox.sluice.dev/never-ready',
  readyReplicas: 'sandbox.sluice.dev/ready-replicas',
} as const;

/** A simulated pod: kept in memory only, never written to the API server. */
export interface SimPod {
  namespace: string;
  name: string;
  deployment: string;
  templateHash: string;
  ready: boolean;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms at which it becomes ready; undefined when it never will. */
  readyAt: number | undefined;
}

/** What a runner needs to start the process behind one (deployment, template hash). */
export interface PodProcessSpec {
  namespace: string;
  deployment: string;
  templateHash: string;
  /** The first container's env (plain `value`s only). */
  env: Record<string, string>;
  labels: Record<string, string>;
}

export interface RunningProcess {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  stop(): Promise<void>;
}

export interface PodRunner {
  start(pod: PodProcessSpec): Promise<RunningProcess>;
}
