import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DatabaseConfig } from './postgres.js';

// Starts a real unleash-server (npm, 7.5.1: the newest that runs on Node 20) in a child
// process on 127.0.0.1, against a PostgreSQL database the caller provides.
// NOTE: Unleash creates initApiTokens only in a database that has no tokens yet. A database
// copied from a template keeps the template's tokens, so pass the tokens the template was
// first started with (see test/support/unleash.ts).

export interface UnleashTokens {
  /** `*:*.<secret>`: admin, all projects and environments. */
  adminToken: string;
  /** `default:development.<secret>`: a backend (client SDK) token. */
  clientToken: string;
}

export interface StartUnleashOptions {
  /** Either a database config or a postgres:// URL. */
  db?: Omit<DatabaseConfig, 'ssl'>;
  databaseUrl?: string;
  /** Default 0: any free port (read back from the server). */
  port?: number;
  tokens?: UnleashTokens;
  /** Unleash's own log level (its lines go to our stderr only at warn and above by default). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Give up starting after this long. Default 60 s (a first migration takes a few seconds). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface UnleashInstance extends UnleashTokens {
  url: string;
  port: number;
  pid: number;
  /** Where start-up time went: loading unleash-server, then migrating and listening. */
  timings: { importMs: number; startMs: number };
  /** Stops the server by pid (SIGTERM, then SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
}

export function randomTokens(): UnleashTokens {
  const secret = (): string => randomBytes(16).toString('hex');
  return {
    adminToken: `*:*.${secret()}`,
    clientToken: `default:development.${secret()}`,
  };
}

export async function startUnleash(options: StartUnleashOptions): Promise<UnleashInstance> {
  const db =
    options.db ?? (options.databaseUrl ? parseDatabaseUrl(options.databaseUrl) : undefined);
  if (db === undefined) throw new Error('startUnleash needs db or databaseUrl');
  const tokens = options.tokens ?? randomTokens();
  const config = {
    db,
    port: options.port ?? 0,
    ...tokens,
    logLevel: options.logLevel ?? 'warn',
  };
  const child = spawn(process.execPath, runnerArgs(), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SLUICE_UNLEASH_CONFIG: JSON.stringify(config),
      CHECK_VERSION: 'false',
      TZ: 'UTC',
      LOG_LEVEL: config.logLevel,
    },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('unleash-server did not start (no pid)');
  // Safety net if our process exits without stop(): never leave a server running.
  const onExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
  };
  process.once('exit', onExit);
  const stop = once(async () => {
    process.off('exit', onExit);
    await stopChild(child, pid);
  });
  try {
    const { port, timings } = await waitListening(
      child,
      options.timeoutMs ?? 60_000,
      options.signal,
    );
    return { url: `http://127.0.0.1:${port}`, port, pid, ...tokens, timings, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export function parseDatabaseUrl(url: string): Omit<DatabaseConfig, 'ssl'> {
  const u = new URL(url);
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    throw new Error(`databaseUrl must be postgres://user[:password]@host:port/database`);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.replace(/^\//, ''),
  };
}

/** Under tsx the runner is the .ts file next to this one; in dist it is the compiled .js. */
function runnerArgs(): string[] {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    const runner = fileURLToPath(new URL('./unleash-runner.ts', self));
    // createRequire, not import.meta.resolve: this module may itself run as CJS under tsx.
    const tsx = pathToFileURL(createRequire(self).resolve('tsx')).href;
    return ['--import', tsx, runner];
  }
  return [fileURLToPath(new URL('./unleash-runner.js', self))];
}

function waitListening(
  child: ChildProcess,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<{ port: number; timings: UnleashInstance['timings'] }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
    // Keep draining so a chatty server never blocks on a full pipe.
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    const fail = (message: string): void => {
      cleanup();
      reject(new Error(`unleash-server: ${message}${stderr ? `\n${stderr.trim()}` : ''}`));
    };
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString();
      let nl: number;
      while ((nl = stdout.indexOf('\n')) >= 0) {
        const line = runnerLine(stdout.slice(0, nl));
        stdout = stdout.slice(nl + 1);
        if (line?.event === 'listening' && typeof line.port === 'number') {
          cleanup();
          resolve({
            port: line.port,
            timings: { importMs: line.importMs ?? 0, startMs: line.startMs ?? 0 },
          });
          return;
        }
        if (line?.event === 'failed') return fail(line.message ?? 'failed to start');
        // Anything else on stdout is not ours (a dependency printing); ignore it.
      }
    };
    const onExit = (code: number | null): void => fail(`exited with ${code} while starting`);
    const onAbort = (): void => fail('start aborted');
    const timer = setTimeout(() => fail(`not listening after ${timeoutMs} ms`), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
      child.stdout?.resume();
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface RunnerLine {
  event: string;
  port?: number;
  message?: string;
  importMs?: number;
  startMs?: number;
}

function runnerLine(text: string): RunnerLine | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && 'event' in v ? (v as RunnerLine) : undefined;
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess, pid: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(timer);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
