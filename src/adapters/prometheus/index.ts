export {
  classifyPrometheusResponse,
  classifyPrometheusText,
  parseSampleValue,
} from './classify.js';
export {
  createPrometheusProvider,
  measurePrometheus,
  type PrometheusProviderOptions,
} from './provider.js';
