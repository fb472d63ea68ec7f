import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A loopback pass-through in front of the sandbox API server that sees every request the
// controller sends (watches included) and when, so the benchmark can report the rate the
// controller really used and when each rollout was read (the start of each reconcile).

export interface RequestRecord {
  at: number;
  method: string;
  path: string;
  watch: boolean;
}

export interface CountingProxy {
  url: string;
  requests: RequestRecord[];
  close(): Promise<void>;
}

export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  const requests: RequestRecord[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const watch = /[?&]watch=(1|true)/.test(path);
    requests.push({ at: Date.now(), method: req.method ?? 'GET', path, watch });
    const out = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
