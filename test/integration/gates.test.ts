import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Harness } from '../support/harness.js';

// Gate steps: an outside system (here a local HTTP server that stands in for a pipeline's
// approval) decides whether the rollout goes on.

interface GateServer {
  url: string;
  calls: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

async function gateServer(answer: 'hang' | number): Promise<GateServer> {
  const calls: GateServer['calls'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls.push(JSON.parse(body || '{}') as Record<string, unknown>);
      if (answer !== 'hang') res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/approve`,
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('gate steps', function () {
  this.timeout(60_000);
  let h: Harness | undefined;
  let gate: GateServer | undefined;

  afterEach(async () => {
    await h?.stop();
    await gate?.close();
    h = undefined;
    gate = undefined;
  });

  async function start(url: string): Promise<Harness> {
    h = await Harness.start({
      steps: [
        { setWeight: 20 },
        { gate: { url, timeout: '1s', interval: '30s', deadline: '30m', onDeadline: 'abort' } },
        { setWeight: 50 },
      ],
    });
    await h.settle();
    await h.release('v2');
    await h.settle();
    return h;
  }

  for (const variant of ['hang', 403] as const) {
    it(`S28 A gate that never approves (${variant === 'hang' ? 'no answer' : 'HTTP 403'}) aborts at its deadline`, async () => {
      gate = await gateServer(variant);
      const hh = await start(gate.url);
      const t0 = Date.now();
      await hh.tick();
      if (variant === 'hang') expect(Date.now() - t0).to.be.below(4000);
      let r = await hh.rollout();
      expect(r.status?.phase).to.equal('Progressing');
      expect(r.status?.currentStepIndex).to.equal(1);
      expect(r.status?.message).to.match(variant === 'hang' ? /no answer within 1s/ : /HTTP 403/);
      expect(hh.routeWeights()).to.deep.equal([80, 20]);
      for (let minute = 5; minute < 30; minute += 5) {
        hh.clock.advance(5 * 60_000);
        await hh.tick();
        expect((await hh.rollout()).status?.phase).to.equal('Progressing');
      }
      hh.clock.advance(5 * 60_000);
      await hh.settle();
      r = await hh.rollout();
      expect(r.status?.phase).to.equal('Aborted');
      expect(r.status?.reason).to.equal('GateTimeout');
      expect(hh.routeWeights()).to.deep.equal([100, 0]);
      const events = hh.api.store.list('events', 'demo') as unknown as Array<{
        reason: string;
        count?: number;
      }>;
      const timeouts = events.filter((e) => e.reason === 'GateTimeout');
      expect(timeouts).to.have.length(1);
      expect(timeouts[0]?.count ?? 1).to.equal(1);
      expect(gate.calls[0]).to.deep.include({ namespace: 'demo', rollout: 'shop', step: 1 });
      expect(gate.calls[0]?.['revision']).to.be.a('string').and.not.equal('');
    });
  }

  it('goes on once the gate approves with a 2xx', async () => {
    gate = await gateServer(204);
    const hh = await start(gate.url);
    await hh.settle();
    expect((await hh.rollout()).status?.phase).to.equal('Healthy');
    expect(gate.calls).to.have.length(1);
  });
});
