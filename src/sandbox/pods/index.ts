export { startPodSimulator, type PodSimulator, type PodSimulatorOptions } from './simulator.js';
export { templateHash, nextPods, podPolicy, type PodSet, type PodPolicy } from './pod-set.js';
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
