import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A stand-in for Prometheus at scale: every instant query answers `1` after a fixed delay,
// except a query that names the hanging rollout, which never answers (until close). Queries
// are recorded with the rollout they name, so the report can say when each was asked.

export interface ScalePromStub {
  url: string;
  /** Queries seen: the rollout label they carried and when (epoch ms). */
  queries: Array<{ rollout: string; at: number }>;
  close(): Promise<void>;
}

export interface ScalePromStubOptions {
  delayMs: number;
  /** Rollout name whose queries hang. */
  hang?: string | undefined;
}

const ROLLOUT_LABEL = /rollout="([^"]+)"/;

export async function startScalePromStub(o: ScalePromStubOptions): Promise<ScalePromStub> {
  const queries: ScalePromStub['queries'] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const query = url.searchParams.get('query') ?? new URLSearchParams(body).get('query') ?? '';
      const rollout = ROLLOUT_LABEL.exec(query)?.[1] ?? '';
      queries.push({ rollout, at: Date.now() });
      if (rollout !== '' && rollout === o.hang) return;
      const t = setTimeout(() => {
        timers.delete(t);
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            status: 'success',
            data: {
              resultType: 'vector',
              result: [{ metric: {}, value: [Date.now() / 1000, '1'] }],
            },
          }),
        );
      }, o.delayMs);
      timers.add(t);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
