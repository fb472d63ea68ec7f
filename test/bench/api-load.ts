import { Agent, request } from 'node:http';

// Closed-loop HTTP load for the API benchmarks: `concurrency` workers each send the next
// request as soon as the last one is answered, over keep-alive connections, for `durationMs`.

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  concurrency: number;
  durationMs: number;
  /** Builds request i (headers and body); default: no body. */
  build?: (i: number) => { headers?: Record<string, string>; body?: Buffer | string };
  /** Called with each answer (for counting outcomes). */
  onAnswer?: (i: number, status: number, body: string) => void;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  byStatus: Record<string, number>;
  errors: number;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const target = new URL(spec.url);
  const latencies: number[] = [];
  const byStatus: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const end = started + spec.durationMs;

  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const { headers = {}, body } = spec.build?.(i) ?? {};
      const t0 = performance.now();
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: spec.method,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            latencies.push(performance.now() - t0);
            const status = res.statusCode ?? 0;
            byStatus[status] = (byStatus[status] ?? 0) + 1;
            spec.onAnswer?.(i, status, Buffer.concat(chunks).toString());
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end(body);
    });

  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      while (performance.now() < end) await one(next++);
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    maxMs: latencies[latencies.length - 1] ?? 0,
    byStatus,
    errors,
  };
}

export function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

export function row(name: string, r: LoadResult, baseline?: LoadResult): string {
  const ratio = baseline ? ` | ${(r.rps / baseline.rps).toFixed(2)}x of baseline rps` : '';
  return `${name.padEnd(28)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  max ${r.maxMs.toFixed(1)} ms  (${r.requests} requests, ${r.errors} errors, ${JSON.stringify(r.byStatus)})${ratio}`;
}
