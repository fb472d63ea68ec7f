import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './ports.js';

// A real Prometheus (Debian's 2.42 package) run as a child process with its own config, data
// directory and loopback port, for the sandbox and the tests. Nothing here touches the system
// service or /etc/prometheus.

export interface PrometheusOptions {
  /** "127.0.0.1:PORT" of each endpoint serving /metrics. */
  scrapeTargets: string[];
  /** Scrape interval. Default 1000 ms. */
  scrapeIntervalMs?: number;
  /** More command-line flags, e.g. ["--storage.tsdb.retention.time=1h"]. */
  extraArgs?: string[];
  /** Where Prometheus's own log lines go. Default: kept only for error messages. */
  logStream?: NodeJS.WritableStream;
  /** The binary. Default: `prometheus` from PATH. */
  binary?: string;
  /**
   * An existing TSDB directory to serve, e.g. one `promtool tsdb create-blocks-from` filled;
   * stop() leaves it in place. Default: a fresh one inside dataDir.
   */
  tsdbPath?: string;
  /** How long to wait for /-/ready. Default 20 s. */
  readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  url: string;
  port: number;
  pid: number;
  /** Temp directory holding prometheus.yml and (unless tsdbPath was given) the TSDB; removed by stop(). */
  dataDir: string;
  /** Replaces the scrape targets and asks Prometheus to reload its config. */
  reload(scrapeTargets: string[]): Promise<void>;
  /**
   * Resolves once every current target has been scraped successfully. Prometheus 2.42 hands
   * targets from discovery to the scraper at most every 5 s, so the first scrape after a start
   * or a reload comes up to ~5 s later; call this before expecting any samples.
   */
  waitForTargets(timeoutMs?: number): Promise<void>;
  /** Kills the process by its pid and removes dataDir. Safe to call twice. */
  stop(): Promise<void>;
}

const JOB = 'sluice-sandbox';
const START_ATTEMPTS = 3;

export const PROMETHEUS_MISSING_MESSAGE =
  'the prometheus binary is not installed; run `bash scripts/ensure-deps.sh prometheus` ' +
  "(it installs Debian's prometheus package) and try again";

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const binary = await findBinary(options.binary ?? 'prometheus');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sluice-prometheus-'));
  const configFile = path.join(dataDir, 'prometheus.yml');
  const intervalMs = options.scrapeIntervalMs ?? 1000;
  await writeFile(configFile, renderConfig(options.scrapeTargets, intervalMs));

  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await freePort();
    try {
      return await launch({ binary, dataDir, configFile, port, intervalMs, options });
    } catch (err) {
      lastError = err;
      // Only a lost race for the port is worth another try.
      if (!(err instanceof Error && /address already in use/.test(err.message))) break;
    }
  }
  await rm(dataDir, { recursive: true, force: true });
  throw lastError;
}

interface LaunchPlan {
  binary: string;
  dataDir: string;
  configFile: string;
  port: number;
  intervalMs: number;
  options: PrometheusOptions;
}

async function launch(plan: LaunchPlan): Promise<RunningPrometheus> {
  const { binary, dataDir, configFile, port, intervalMs, options } = plan;
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${options.tsdbPath ?? path.join(dataDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      // Hidden flag: target changes are applied at most this often (default 5 s), which would
      // delay the first scrape and every reload by seconds.
      '--scrape.discovery-reload-interval=100ms',
      '--log.level=warn',
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logTail = captureLog(child, options.logStream);
  // NOTE: a test runner that exits without calling stop() must not leave Prometheus behind.
  const killOnExit = (): void => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };
  process.on('exit', killOnExit);

  const stopProcess = async (): Promise<void> => {
    process.off('exit', killOnExit);
    await killChild(child);
  };

  try {
    await waitReady(url, child, logTail, options.readyTimeoutMs ?? 20_000);
  } catch (err) {
    await stopProcess();
    throw err;
  }

  let stopped = false;
  let currentTargets = options.scrapeTargets;
  return {
    url,
    port,
    pid: child.pid as number, // NOTE: set, since the process answered /-/ready
    dataDir,
    async reload(scrapeTargets) {
      currentTargets = scrapeTargets;
      await writeFile(configFile, renderConfig(scrapeTargets, intervalMs));
      const res = await fetch(`${url}/-/reload`, {
        method: 'POST',
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`Prometheus refused the reload: ${await res.text()}`);
    },
    waitForTargets: (timeoutMs = 15_000) => waitForTargets(url, currentTargets, timeoutMs),
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopProcess();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function renderConfig(scrapeTargets: string[], intervalMs: number): string {
  const interval = `${intervalMs}ms`;
  return stringify({
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [{ job_name: JOB, static_configs: [{ targets: scrapeTargets }] }],
  });
}

async function findBinary(name: string): Promise<string> {
  const candidates = name.includes('/')
    ? [name]
    : (process.env['PATH'] ?? '').split(':').map((dir) => path.join(dir, name));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next directory
    }
  }
  throw new Error(PROMETHEUS_MISSING_MESSAGE);
}

function captureLog(child: ChildProcess, stream: NodeJS.WritableStream | undefined): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    if (stream) stream.write(chunk);
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 20) lines.splice(0, lines.length - 20);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

async function waitReady(
  url: string,
  child: ChildProcess,
  logTail: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`prometheus did not start: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`prometheus exited (${child.exitCode ?? child.signalCode}): ${logTail()}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`prometheus at ${url} was not ready within ${timeoutMs} ms: ${logTail()}`);
}

async function waitForTargets(url: string, targets: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/api/v1/targets?state=active`, {
      signal: AbortSignal.timeout(2000),
    });
    const body = (await res.json()) as {
      data?: { activeTargets?: Array<{ labels?: { instance?: string }; health?: string }> };
    };
    const active = body.data?.activeTargets ?? [];
    const up = new Set(active.filter((t) => t.health === 'up').map((t) => t.labels?.instance));
    if (targets.every((t) => up.has(t))) return;
    seen = JSON.stringify(active.map((t) => [t.labels?.instance, t.health]));
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Prometheus at ${url} did not scrape ${targets.join(', ')} in time: ${seen}`);
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(timer);
}
