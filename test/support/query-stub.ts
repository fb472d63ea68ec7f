import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A Prometheus stand-in whose answer depends on the query (the compare and burn-rate suites ask
// several queries per measurement, for the canary and the baseline, or per window). The
// function returns a number, undefined for an empty vector, or 'error' for a 503.

export type QueryAnswer = number | undefined | 'error';

export interface QueryStub {
  url: string;
  queries: string[];
  answer(fn: (query: string) => QueryAnswer): void;
  close(): Promise<void>;
}

export async function startQueryStub(fn: (query: string) => QueryAnswer): Promise<QueryStub> {
  let answerOf = fn;
  const queries: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const query = url.searchParams.get('query') ?? new URLSearchParams(body).get('query') ?? '';
      queries.push(query);
      const a = answerOf(query);
      const json = (code: number, obj: unknown): void => {
        res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
      };
      if (a === 'error')
        return json(503, { status: 'error', errorType: 'unavailable', error: 'stub: 503' });
      const result = a === undefined ? [] : [{ metric: {}, value: [Date.now() / 1000, String(a)] }];
      json(200, { status: 'success', data: { resultType: 'vector', result } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    answer(next) {
      answerOf = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
