import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BURN_WINDOWS,
  computeSloStatus,
  parseSloWindow,
  renderWindow,
  type EventCounts,
  type SloObservation,
} from '../../src/domain/slo/index.js';
import { freePort } from '../../src/sandbox/ports.js';
import { exampleSlo, findTool, runTool } from './slo-support.js';

// A month of synthetic request counters, backfilled with `promtool tsdb create-blocks-from
// openmetrics` into a temp TSDB, served by a real Prometheus; the SLO's own queries are sent to
// it and the budget and burn rates computed from the answers must equal those computed from the
// generated counters directly.
//
// NOTE: src/sandbox/prometheus.ts makes its own empty data directory, so this suite starts the
// binary itself on a backfilled one (free port on 127.0.0.1, stopped by pid in `after`).

const STEP_S = 60;
const DAYS = 30;
const slo = exampleSlo(99.9);

interface Sample {
  t: number;
  ok: number;
  bad: number;
}

/**
 * Cumulative counters for 30 days ending at endS, counted minute by minute. They are emitted
 * once a minute for the last 7 hours (the 5m to 6h windows) and every 12 hours before that:
 * promtool writes one block per 2 hours that holds samples, and 360 blocks take over a minute
 * to write, while rate() over the longer windows needs only the samples at their ends.
 */
function generate(endS: number): Sample[] {
  const steps = (DAYS * 86_400) / STEP_S;
  const denseFromS = endS - 7 * 3600;
  const samples: Sample[] = [];
  let ok = 0;
  let bad = 0;
  for (let i = 0; i <= steps; i++) {
    const t = endS - (steps - i) * STEP_S;
    const requests = 1200 + Math.round(300 * Math.sin((2 * Math.PI * i) / 1440));
    // Background errors about 0.03%, and a 5% incident from 5 h to 2 h before the end.
    const incident = t > endS - 5 * 3600 && t <= endS - 2 * 3600;
    const errors = incident ? Math.round(requests * 0.05) : i % 3 === 0 ? 1 : 0;
    if (i > 0) {
      ok += requests - errors;
      bad += errors;
    }
    if (t >= denseFromS || i % 720 === 0) samples.push({ t, ok, bad });
  }
  return samples;
}

function openMetrics(samples: Sample[]): string {
  const lines = ['# HELP http_requests Requests.', '# TYPE http_requests counter'];
  for (const s of samples) {
    lines.push(`http_requests_total{job="shop",code="200"} ${s.ok} ${s.t}`);
    lines.push(`http_requests_total{job="shop",code="500"} ${s.bad} ${s.t}`);
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

/** What rate() over `window` at queryS sees: the increase between the window's samples. */
function expectedCounts(samples: Sample[], queryS: number, window: string): EventCounts {
  const start = queryS - parseSloWindow(window) / 1000;
  const inside = samples.filter((s) => s.t > start && s.t <= queryS);
  const first = inside[0] as Sample; // NOTE: every window here holds at least 5 samples
  const last = inside[inside.length - 1] as Sample;
  const total = last.ok + last.bad - (first.ok + first.bad);
  return { good: last.ok - first.ok, total };
}

async function queryScalar(url: string, query: string, timeS: number): Promise<number | undefined> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}&time=${timeS}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as {
    status: string;
    data?: { result: Array<{ value: [number, string] }> };
    error?: string;
  };
  if (body.status !== 'success') throw new Error(`${query}: ${body.error ?? res.status}`);
  const first = body.data?.result[0];
  return first ? Number(first.value[1]) : undefined;
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${log()}`);
    try {
      if ((await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prometheus at ${url} not ready in 30 s: ${log()}`);
}

describe('SLO budget from a backfilled month in real Prometheus', function () {
  this.timeout(120_000);
  const endS = Math.floor(Date.now() / 1000 / 3600) * 3600 - 3600;
  const queryS = endS + 30; // between samples, so no sample sits on a window's edge
  const samples = generate(endS);
  let dir = '';
  let child: ChildProcess | undefined;
  let url = '';

  before(async () => {
    const promtool = await findTool('promtool');
    const prometheus = await findTool('prometheus');
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-slo-budget-'));
    const input = path.join(dir, 'month.om');
    await writeFile(input, openMetrics(samples));
    const tsdb = path.join(dir, 'tsdb');
    const backfill = await runTool(
      promtool,
      ['tsdb', 'create-blocks-from', 'openmetrics', '-q', input, tsdb],
      110_000,
    );
    if (backfill.code !== 0) throw new Error(`backfill failed: ${backfill.output}`);
    await writeFile(path.join(dir, 'prometheus.yml'), 'global: {}\n');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const logLines: string[] = [];
    child = spawn(
      prometheus,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${tsdb}`,
        '--storage.tsdb.retention.time=400d',
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (b: Buffer): void => void logLines.push(b.toString('utf8'));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await waitReady(url, child, () => logLines.slice(-10).join(''));
  });

  after(async () => {
    const running = child;
    if (running?.pid !== undefined && running.exitCode === null) {
      const exited = new Promise((r) => running.once('exit', r));
      process.kill(running.pid, 'SIGTERM');
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function observe(window: string): Promise<EventCounts | undefined> {
    const good = await queryScalar(url, renderWindow(slo.spec.sli.goodQuery, window), queryS);
    const total = await queryScalar(url, renderWindow(slo.spec.sli.totalQuery, window), queryS);
    // rate() is per second; the ratio is what matters, so per-second rates serve as counts.
    return good === undefined || total === undefined ? undefined : { good, total };
  }

  it('computes the remaining budget and the burn rates the generated data imply', async () => {
    const windows = [...BURN_WINDOWS];
    const observed: SloObservation = { window: { good: 0, total: 0 }, burnWindows: {} };
    const expected: SloObservation = {
      window: expectedCounts(samples, queryS, '28d'),
      burnWindows: {},
    };
    const window = await observe('28d');
    if (!window) throw new Error('Prometheus returned no data for the 28d window');
    observed.window = window;
    for (const w of windows) {
      (observed.burnWindows as Record<string, EventCounts | undefined>)[w] = await observe(w);
      (expected.burnWindows as Record<string, EventCounts | undefined>)[w] = expectedCounts(
        samples,
        queryS,
        w,
      );
    }
    const fromPrometheus = computeSloStatus(slo.spec, '28d', observed);
    const fromData = computeSloStatus(slo.spec, '28d', expected);

    expect(fromData.budget.remaining).to.be.within(0.3, 0.8); // the fixture is what we meant
    expect(fromPrometheus.budget.remaining).to.be.closeTo(fromData.budget.remaining, 1e-9);
    for (const w of [...windows, '28d'])
      expect(fromPrometheus.burnRates[w], w).to.be.closeTo(fromData.burnRates[w] as number, 1e-6);
    // The incident ended 2 h ago: the 6h/30m pair is quiet at 30m, the ticket pair still burns.
    expect(fromData.burnRates['6h']).to.be.above(6);
    expect(fromPrometheus.alerts.severity).to.equal('ticket');
    expect(fromPrometheus.alerts.evaluations.map((e) => e.firing)).to.deep.equal(
      fromData.alerts.evaluations.map((e) => e.firing),
    );
  });
});
