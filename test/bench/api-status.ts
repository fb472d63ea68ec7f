import { argValue, row, runLoad } from './api-load.js';
import { startBenchServer } from './api-child.js';
import { parseDuration } from '../../src/domain/duration.js';
import { TOKENS } from '../api/support.js';

// Benchmark: GET rollout status, next to a bare express "hello" route measured in the same run.
// Target (issue 3): >= 5,000 requests/s with p99 < 20 ms.
//   npx tsx test/bench/api-status.ts [--duration 10s] [--concurrency 32]

const durationMs = parseDuration(argValue('duration', '10s'));
const concurrency = Number(argValue('concurrency', '32'));

const hello = await startBenchServer('hello');
const api = await startBenchServer('api');
try {
  // A short warm-up of each, then the measured runs.
  await runLoad({ url: `${hello.url}/hello`, method: 'GET', concurrency, durationMs: 1000 });
  const auth = { headers: { Authorization: `Bearer ${TOKENS.viewer}` } };
  const statusUrl = `${api.url}/api/v1/namespaces/shop/rollouts/checkout`;
  await runLoad({
    url: statusUrl,
    method: 'GET',
    concurrency,
    durationMs: 1000,
    build: () => auth,
  });

  const base = await runLoad({ url: `${hello.url}/hello`, method: 'GET', concurrency, durationMs });
  const status = await runLoad({
    url: statusUrl,
    method: 'GET',
    concurrency,
    durationMs,
    build: () => auth,
  });
  console.log(`GET rollout status, ${concurrency} connections, ${durationMs / 1000}s each`);
  console.log(row('baseline express hello', base));
  console.log(row('GET rollout status', status, base));
  const ok =
    status.rps >= 5000 &&
    status.p99Ms < 20 &&
    status.errors === 0 &&
    status.byStatus['200'] === status.requests;
  console.log(`target >= 5000 req/s, p99 < 20 ms, all 200: ${ok ? 'MET' : 'NOT MET'}`);
} finally {
  await api.stop();
  await hello.stop();
}
