import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Express } from 'express';
import type { ApiState } from './app.js';
import type { StoredAnswer } from './idempotency.js';
import { PersistedStore } from './persisted-store.js';

// Serving the app: plain HTTP, or HTTPS with TLS 1.3 as the floor when a certificate is given.

export interface ServerOptions {
  app: Express;
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 = a free port. */
  port: number;
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const server: Server = options.tls
    ? createHttpsServer(
        { cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.3' },
        options.app,
      )
    : createHttpServer(options.app);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${options.tls ? 'https' : 'http'}://${hostPart}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Opens the on-disk stores in `dir` (next to the audit log is a good place). */
export async function openApiState(
  dir: string,
  options: { maxIdempotencyKeys?: number; maxDeliveries?: number } = {},
): Promise<ApiState & { close(): Promise<void> }> {
  const idempotency = await PersistedStore.open<StoredAnswer>(join(dir, 'idempotency-keys.jsonl'), {
    maxEntries: options.maxIdempotencyKeys ?? 10_000,
  });
  const deliveries = await PersistedStore.open<{ at: string; outcome: string }>(
    join(dir, 'github-deliveries.jsonl'),
    { maxEntries: options.maxDeliveries ?? 50_000 },
  );
  return {
    idempotency,
    deliveries,
    close: async () => {
      await idempotency.close();
      await deliveries.close();
    },
  };
}
