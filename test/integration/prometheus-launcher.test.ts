import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import {
  PROMETHEUS_MISSING_MESSAGE,
  startPrometheus,
  type RunningPrometheus,
} from '../../src/sandbox/prometheus.js';
import { waitForQuery } from '../support/prometheus.js';
import { closeServer, listenOnLoopback } from '../support/ports.js';

function exporter(value: number): Server {
  return createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`sluice_test_value ${value}\n`);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startPrometheus', function () {
  this.timeout(30_000);
  const servers: Server[] = [exporter(1), exporter(2)];
  const targets: string[] = [];
  let prometheus: RunningPrometheus | undefined;

  before(async () => {
    for (const s of servers) targets.push(`127.0.0.1:${await listenOnLoopback(s)}`);
  });

  after(async () => {
    await prometheus?.stop();
    await Promise.all(servers.map(closeServer));
  });

  it('starts on loopback within a few seconds and scrapes its targets', async () => {
    const started = Date.now();
    prometheus = await startPrometheus({
      scrapeTargets: [targets[0] as string],
      scrapeIntervalMs: 500,
    });
    expect(Date.now() - started).to.be.below(5000);
    expect(prometheus.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    await prometheus.waitForTargets();
    const data = await waitForQuery(prometheus.url, 'sluice_test_value', (d) =>
      JSON.stringify(d).includes('"1"'),
    );
    expect(JSON.stringify(data)).to.contain(targets[0]);
  });

  it('switches to new targets on reload', async () => {
    if (!prometheus) throw new Error('not started');
    await prometheus.reload([targets[1] as string]);
    await prometheus.waitForTargets();
    const data = await waitForQuery(prometheus.url, 'sluice_test_value', (d) =>
      JSON.stringify(d).includes(`"instance":"${targets[1]}"`),
    );
    expect(JSON.stringify(data)).to.contain('"2"');
  });

  it('stops its process and removes its data directory', async () => {
    if (!prometheus) throw new Error('not started');
    const { pid, dataDir } = prometheus;
    await prometheus.stop();
    prometheus = undefined;
    expect(alive(pid)).to.equal(false);
    expect(existsSync(dataDir)).to.equal(false);
  });

  it('serves an existing TSDB directory and leaves it in place on stop', async () => {
    const tsdb = await mkdtemp(path.join(tmpdir(), 'sluice-tsdb-'));
    try {
      const served = await startPrometheus({ scrapeTargets: [], tsdbPath: tsdb });
      await served.stop();
      expect(existsSync(path.join(tsdb, 'wal'))).to.equal(true);
      expect(existsSync(served.dataDir)).to.equal(false);
    } finally {
      await rm(tsdb, { recursive: true, force: true });
    }
  });

  it('tells to run ensure-deps when the binary is missing', async () => {
    let error: unknown;
    try {
      await startPrometheus({ scrapeTargets: [], binary: '/nonexistent/prometheus' });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(Error);
    expect((error as Error).message).to.equal(PROMETHEUS_MISSING_MESSAGE);
    expect(PROMETHEUS_MISSING_MESSAGE).to.contain('scripts/ensure-deps.sh prometheus');
  });
});
