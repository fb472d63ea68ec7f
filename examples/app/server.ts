import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAppHandler } from './app.js';
import { readAppConfig } from './config.js';

// Run: PORT=0 VERSION=v2 FAIL_RATE=0.1 node --import tsx examples/app/server.ts
// Prints one line, {"event":"listening","port":N}, once it accepts connections.

function main(): void {
  const config = readAppConfig(process.env);
  const handler = createAppHandler(config);
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
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main();
