export {
  startPodSimulator,
  templateHash,
  type PodSimulator,
  type PodSimulatorOptions,
} from './simulator.js';
export { processRunner, type ProcessRunnerOptions } from './process-runner.js';
export {
  ANNOTATIONS,
  type PodProcessSpec,
  type PodRunner,
  type RunningProcess,
  type SimPod,
} from './types.js';
export {
  computeStatus,
  type DeploymentStatus,
  type DeploymentCondition,
} from './deployment-status.js';
