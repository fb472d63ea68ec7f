export {
  startApiServer,
  type ApiServer,
  type ApiServerOptions,
  type StoreAccessor,
} from './server.js';
export type { FailureRule, KubeObject, WriteRecord, WriteVerb } from './types.js';
export { PATCH_TYPES } from './patch.js';
