import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A local stand-in for Prometheus that gives the awkward answers on purpose: an empty vector,
// NaN, +Inf, an HTTP error, or no answer at all. Each query takes the next planned answer
// (the last one repeats), unless `answerFor` chooses the answer from the query itself.

export type StubAnswer =
  | { kind: 'value'; value: number | string }
  | { kind: 'empty' }
  | { kind: 'status'; code: number; error?: string }
  | { kind: 'hang'; ms: number }
  /** No answer at all until the stub is closed. */
  | { kind: 'never' };

export interface PromStub {
  url: string;
  queries: Array<{ query: string; at: number }>;
  plan(answers: StubAnswer[]): void;
  close(): Promise<void>;
}

export interface PromStubOptions {
  /** The answer for this query; undefined takes the next planned one. */
  answerFor?: (query: string) => StubAnswer | undefined;
}

export async function startPromStub(
  initial: StubAnswer[] = [{ kind: 'value', value: 1 }],
  o: PromStubOptions = {},
): Promise<PromStub> {
  let answers = [...initial];
  const queries: PromStub['queries'] = [];
  const hanging = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const query = url.searchParams.get('query') ?? new URLSearchParams(body).get('query') ?? '';
      queries.push({ query, at: Date.now() });
      const answer =
        o.answerFor?.(query) ?? ((answers.length > 1 ? answers.shift() : answers[0]) as StubAnswer);
      const json = (code: number, obj: unknown): void => {
        res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
      };
      const now = Date.now() / 1000;
      switch (answer.kind) {
        case 'value':
          return json(200, {
            status: 'success',
            data: {
              resultType: 'vector',
              result: [{ metric: {}, value: [now, String(answer.value)] }],
            },
          });
        case 'empty':
          return json(200, { status: 'success', data: { resultType: 'vector', result: [] } });
        case 'status':
          return json(answer.code, {
            status: 'error',
            errorType: 'unavailable',
            error: answer.error ?? `stub answered ${answer.code}`,
          });
        case 'hang': {
          const t = setTimeout(() => {
            hanging.delete(t);
            json(200, {
              status: 'success',
              data: { resultType: 'vector', result: [{ metric: {}, value: [now, '1'] }] },
            });
          }, answer.ms);
          hanging.add(t);
          return;
        }
        case 'never':
          return;
        default: {
          const never: never = answer;
          throw new Error(`unknown stub answer ${JSON.stringify(never)}`);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    plan(next) {
      answers = [...next];
    },
    async close() {
      for (const t of hanging) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
