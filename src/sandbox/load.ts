import { Agent, request } from 'node:http';

// Steady open-loop HTTP load for the sandbox and the tests: requests leave on schedule whether
// or not earlier ones have come back, as real users' would, so a slow version cannot slow the
// load down and hide its own errors. Every outcome is kept with its send time.

export interface LoadOptions {
  /** http://127.0.0.1:PORT/path */
  url: string;
  /** Requests per second. */
  rps: number;
  headers?: Record<string, string>;
  /** Sent in turn, one per request, in `userHeader`. */
  userIds?: string[];
  /** Default "x-user-id". */
  userHeader?: string;
  /** Most requests in flight; a request due beyond it is not sent and counted as skipped. Default 256. */
  concurrency?: number;
  /** Per-request limit; a request past it counts as a timeout. Default 10 s. */
  requestTimeoutMs?: number;
  /** The load stops by itself after this long. Default 10 minutes. */
  maxDurationMs?: number;
}

export interface LoadStats {
  /** Requests that finished (answered, failed to connect or timed out). */
  total: number;
  /** By HTTP status code. */
  byStatus: Record<string, number>;
  /** Non-2xx answers plus connection errors plus timeouts. */
  failures: number;
  connectionErrors: number;
  timeouts: number;
  /** Due but not sent because `concurrency` requests were in flight. */
  skipped: number;
  /** Epoch ms of the first request of the span counted. */
  since: number;
}

export interface RunningLoad {
  stats(): LoadStats & { inFlight: number; running: boolean };
  /** Outcomes of requests sent in [fromMs, toMs) (epoch ms). */
  window(fromMs: number, toMs: number): LoadStats;
  /** Stops sending and waits for requests in flight. Safe to call twice. */
  stop(): Promise<void>;
}

type Outcome = number | 'connection' | 'timeout';

interface Sample {
  sentAt: number;
  outcome: Outcome;
}

const TICK_MS = 5;

export function startLoad(options: LoadOptions): RunningLoad {
  if (!(options.rps > 0)) throw new Error(`rps must be > 0, got ${options.rps}`);
  const target = new URL(options.url);
  const concurrency = options.concurrency ?? 256;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const userHeader = options.userHeader ?? 'x-user-id';
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const samples: Sample[] = [];
  const skippedAt: number[] = [];
  const pending = new Set<Promise<void>>();
  const started = Date.now();
  let sent = 0;
  let running = true;

  const fire = (): void => {
    const sentAt = Date.now();
    const headers: Record<string, string> = { ...options.headers };
    const ids = options.userIds;
    if (ids && ids.length > 0) headers[userHeader] = ids[sent % ids.length] as string;
    sent++;
    if (pending.size >= concurrency) {
      skippedAt.push(sentAt);
      return;
    }
    const p = send(target, headers, agent, timeoutMs).then((outcome) => {
      samples.push({ sentAt, outcome });
      pending.delete(p);
    });
    pending.add(p);
  };

  const tick = setInterval(() => {
    const now = Date.now();
    if (now - started >= (options.maxDurationMs ?? 600_000)) {
      void stop();
      return;
    }
    const due = Math.floor(((now - started) * options.rps) / 1000) + 1;
    while (running && sent < due) fire();
  }, TICK_MS);

  const stop = async (): Promise<void> => {
    running = false;
    clearInterval(tick);
    await Promise.all([...pending]);
    agent.destroy();
  };

  const summarize = (from: number, to: number): LoadStats => {
    const stats: LoadStats = {
      total: 0,
      byStatus: {},
      failures: 0,
      connectionErrors: 0,
      timeouts: 0,
      skipped: skippedAt.filter((t) => t >= from && t < to).length,
      since: Math.max(from, started),
    };
    for (const { sentAt, outcome } of samples) {
      if (sentAt < from || sentAt >= to) continue;
      stats.total++;
      if (outcome === 'connection') stats.connectionErrors++;
      else if (outcome === 'timeout') stats.timeouts++;
      else stats.byStatus[String(outcome)] = (stats.byStatus[String(outcome)] ?? 0) + 1;
      if (typeof outcome !== 'number' || outcome < 200 || outcome > 299) stats.failures++;
    }
    return stats;
  };

  return {
    stats: () => ({
      ...summarize(started, Number.POSITIVE_INFINITY),
      inFlight: pending.size,
      running,
    }),
    window: summarize,
    stop,
  };
}

function send(
  target: URL,
  headers: Record<string, string>,
  agent: Agent,
  timeoutMs: number,
): Promise<Outcome> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: Outcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = request(target, { method: 'GET', headers, agent }, (res) => {
      res.resume();
      res.once('end', () => finish(res.statusCode ?? 0));
      res.once('error', () => finish('connection'));
    });
    // A hard bound on the whole request, not just on socket idleness.
    const timer = setTimeout(() => {
      finish('timeout');
      req.destroy();
    }, timeoutMs);
    req.once('error', () => finish('connection'));
    req.end();
  });
}
