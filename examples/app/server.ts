import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAppMetrics, readAbConfig, variantFor } from './ab.js';
import { createAppHandler } from './app.js';
import { readAppConfig } from './config.js';
import { createFlagEvaluator } from './flags.js';

// Run: PORT=0 VERSION=v2 FAIL_RATE=0.1 node --import tsx examples/app/server.ts
// A/B: add UNLEASH_URL, UNLEASH_CLIENT_TOKEN, FLAG_NAME and optionally VARIANT_FAIL_RATES=A=0,B=0.2
// and VARIANT_LATENCY_MS=B=50 (see ab.ts). GET /metrics serves app_requests_total{variant,code}.
// Prints one line, {"event":"listening","port":N}, once it accepts connections.

async function main(): Promise<void> {
  const config = readAppConfig(process.env);
  const ab = readAbConfig(process.env);
  const metrics = createAppMetrics();
  const evaluator = ab
    ? await createFlagEvaluator({
        url: ab.unleashUrl,
        clientToken: ab.clientToken,
        appName: `example-app-${config.version}`,
        refreshIntervalMs: 500,
      })
    : undefined;
  const handler = createAppHandler(config, {
    metrics,
    ...(ab && evaluator
      ? {
          variantOf: (req: IncomingMessage) => variantFor(evaluator, ab, req),
          variantFailRates: ab.failRates,
          variantLatencyMs: ab.latencyMs,
        }
      : {}),
  });
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
      process.stderr.write(`request failed: ${String(err)}\n`);
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ event: 'listening', port })}\n`);
  });
  // Graceful: stop accepting, close idle keep-alive connections, let requests in flight finish
  // (a rollout's old version must not fail the requests it is still answering); give up after 10 s.
  const stop = (): void => {
    evaluator?.close();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
      process.exit(0);
    }, 10_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`example app failed to start: ${String(err)}\n`);
  process.exit(1);
});
