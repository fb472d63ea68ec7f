import { expect } from 'chai';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createPrometheusProvider } from '../../src/adapters/prometheus/index.js';
import type { ProviderAnswer } from '../../src/domain/provider.js';
import { prometheusForSuite } from '../support/prometheus.js';
import { closeServer, freePort, listenOnLoopback } from '../support/ports.js';

const provider = createPrometheusProvider();

function measure(address: string, query: string, timeoutMs = 5000, signal?: AbortSignal) {
  return provider.measure({ address, query, timeoutMs, signal });
}

function expectError(answer: ProviderAnswer, says: string[], timeout = false): void {
  expect(answer.kind, JSON.stringify(answer)).to.equal('error');
  if (answer.kind !== 'error') return;
  for (const text of says) expect(answer.message).to.contain(text);
  expect(answer.timeout).to.equal(timeout);
}

describe('Prometheus adapter against a real Prometheus', () => {
  const prometheus = prometheusForSuite(() => []);

  it('answers an instant vector with its values in series order', async () => {
    const answer = await measure(
      prometheus.current.url,
      'vector(0.97) or label_replace(vector(2), "x", "y", "", "")',
    );
    expect(answer).to.deep.equal({ kind: 'values', values: [0.97, 2] });
  });

  it('sends a query too long for a URL (1.5 MB) in the body and gets its answer', async () => {
    const long = `vector(1) or up{job="${'x'.repeat(1_500_000)}"}`;
    expect(await measure(prometheus.current.url, long, 10_000)).to.deep.equal({
      kind: 'values',
      values: [1],
    });
  });

  it('answers a scalar as one value', async () => {
    expect(await measure(prometheus.current.url, 'scalar(vector(3)) * 2')).to.deep.equal({
      kind: 'values',
      values: [6],
    });
  });

  it('answers an empty vector as no values', async () => {
    expect(await measure(prometheus.current.url, 'up{job="nothing-here"}')).to.deep.equal({
      kind: 'values',
      values: [],
    });
  });

  it('passes NaN and +Inf through as numbers', async () => {
    const nan = await measure(prometheus.current.url, 'vector(0) / 0');
    const inf = await measure(prometheus.current.url, 'vector(1) / 0');
    expect(nan).to.deep.equal({ kind: 'values', values: [Number.NaN] });
    expect(inf).to.deep.equal({ kind: 'values', values: [Number.POSITIVE_INFINITY] });
  });

  it("reports a PromQL parse error with Prometheus's own text", async () => {
    const answer = await measure(prometheus.current.url, 'sum(rate(http_requests_total[5m])');
    expectError(answer, ['HTTP 400', 'bad_data', 'parse error']);
  });

  it('refuses a range vector and says to use an instant vector', async () => {
    expectError(await measure(prometheus.current.url, 'up[1m]'), [
      'range vector',
      'instant vector',
    ]);
  });

  it('refuses a string result', async () => {
    expectError(await measure(prometheus.current.url, '"abc"'), ['string']);
  });

  it('reports connection refused when nothing listens', async () => {
    const port = await freePort();
    const answer = await measure(`http://127.0.0.1:${port}`, 'vector(1)');
    expectError(answer, ['connection refused', `127.0.0.1:${port}`]);
  });

  it('reports an address that is not a URL without sending anything', async () => {
    expectError(await measure('prometheus:9090', 'vector(1)'), ['not an http(s) URL']);
  });
});

/** Answers what the test put in `next`; a missing answer hangs until the client gives up. */
type StubAnswer = { status: number; body: string; type?: string } | 'hang' | 'trickle';

describe('Prometheus adapter against awkward answers', () => {
  let server: Server;
  let address: string;
  let next: StubAnswer = 'hang';
  const open = new Set<ServerResponse>();

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const answer = next;
      if (answer === 'hang') {
        open.add(res);
        return;
      }
      if (answer === 'trickle') {
        // Sends a byte every 200 ms forever: a socket-idle timer never fires on this.
        open.add(res);
        res.writeHead(200, { 'content-type': 'application/json' });
        const t = setInterval(() => res.write(' '), 200);
        res.on('close', () => clearInterval(t));
        return;
      }
      res.writeHead(answer.status, { 'content-type': answer.type ?? 'application/json' });
      res.end(answer.body);
    });
    address = `http://127.0.0.1:${await listenOnLoopback(server)}`;
  });

  after(async () => {
    for (const res of open) res.destroy();
    await closeServer(server);
  });

  const json = (status: number, body: unknown): StubAnswer => ({
    status,
    body: JSON.stringify(body),
  });
  const vector = (...values: string[]) =>
    json(200, {
      status: 'success',
      data: { resultType: 'vector', result: values.map((v) => ({ metric: {}, value: [1, v] })) },
    });

  it('answers an empty vector as no values', async () => {
    next = vector();
    expect(await measure(address, 'q')).to.deep.equal({ kind: 'values', values: [] });
  });

  it('passes NaN, +Inf and -Inf through as numbers', async () => {
    next = vector('NaN', '+Inf', '-Inf');
    expect(await measure(address, 'q')).to.deep.equal({
      kind: 'values',
      values: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
    });
  });

  it('reports HTTP 500 with the error text', async () => {
    next = json(500, { status: 'error', errorType: 'internal', error: 'disk on fire' });
    expectError(await measure(address, 'q'), ['HTTP 500', 'internal', 'disk on fire']);
  });

  it('reports a plain-text 503', async () => {
    next = { status: 503, body: 'upstream unavailable', type: 'text/plain' };
    expectError(await measure(address, 'q'), ['HTTP 503', 'upstream unavailable']);
  });

  it('reports malformed JSON', async () => {
    next = { status: 200, body: '{"status":"success","data":{"resultType":"vec' };
    expectError(await measure(address, 'q'), ['malformed JSON']);
  });

  it('reports a wrong resultType', async () => {
    next = json(200, { status: 'success', data: { resultType: 'matrix', result: [] } });
    expectError(await measure(address, 'q'), ['range vector']);
  });

  it('cuts a hanging server at the timeout and says so', async () => {
    next = 'hang';
    const started = Date.now();
    const answer = await measure(address, 'q', 400);
    const took = Date.now() - started;
    expectError(answer, ['timed out after 400 ms'], true);
    expect(took).to.be.within(390, 700);
  });

  it('cuts a server that trickles bytes at the timeout', async () => {
    next = 'trickle';
    const started = Date.now();
    const answer = await measure(address, 'q', 600);
    expectError(answer, ['timed out'], true);
    expect(Date.now() - started).to.be.within(590, 900);
  });

  it("stops when the caller's signal aborts, before the timeout", async () => {
    next = 'hang';
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const started = Date.now();
    const answer = await measure(address, 'q', 5000, controller.signal);
    expectError(answer, ['aborted by the caller'], false);
    expect(Date.now() - started).to.be.below(600);
  });

  it('answers at once when the signal was already aborted', async () => {
    next = vector('1');
    const answer = await measure(address, 'q', 5000, AbortSignal.abort());
    expectError(answer, ['aborted'], false);
  });
});
