import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSloWindow, type EventCounts } from '../../src/domain/slo/index.js';
import { freePort } from '../../src/sandbox/ports.js';
import { findTool, runTool } from './slo-support.js';

// A month of synthetic request counters, backfilled with `promtool tsdb create-blocks-from
// openmetrics` into a temp TSDB and served by a real Prometheus (free port on 127.0.0.1,
// stopped by pid). Shared by slo-budget.test.ts and slo-evaluator.test.ts.

const STEP_S = 60;
const DAYS = 30;

export interface Sample {
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
export function generateMonth(endS: number): Sample[] {
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
export function expectedCounts(samples: Sample[], queryS: number, window: string): EventCounts {
  const start = queryS - parseSloWindow(window) / 1000;
  const inside = samples.filter((s) => s.t > start && s.t <= queryS);
  const first = inside[0];
  const last = inside[inside.length - 1];
  if (!first || !last || inside.length < 2)
    throw new Error(`the fixture has fewer than 2 samples in ${window} before ${queryS}`);
  const total = last.ok + last.bad - (first.ok + first.bad);
  return { good: last.ok - first.ok, total };
}

export interface BackfilledPrometheus {
  url: string;
  stop(): Promise<void>;
}

/** Backfills `samples` into a temp TSDB and serves it; stop() ends the process and the dir. */
export async function startBackfilledPrometheus(samples: Sample[]): Promise<BackfilledPrometheus> {
  const promtool = await findTool('promtool');
  const prometheus = await findTool('prometheus');
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-slo-month-'));
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    const running = child;
    if (running?.pid !== undefined && running.exitCode === null) {
      const exited = new Promise((r) => running.once('exit', r));
      process.kill(running.pid, 'SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
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
    const url = `http://127.0.0.1:${port}`;
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
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
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
