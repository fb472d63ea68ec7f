import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// Starts the example app as a real child process (for the pod simulator, the demo and tests)
// and waits for its {"event":"listening","port":N} line.

export interface AppProcessOptions {
  version: string;
  failRate?: number;
  latencyMs?: number;
  latencyJitterMs?: number;
  seed?: number;
  /** More environment for the app (e.g. Unleash settings). */
  env?: Record<string, string>;
  /** How long to wait for the listening line. Default 15 s. */
  startTimeoutMs?: number;
}

export interface AppProcess {
  url: string;
  port: number;
  pid: number;
  version: string;
  /** Stops the process by its pid (SIGTERM, then SIGKILL after 3 s). Safe to call twice. */
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));

export function spawnApp(options: AppProcessOptions): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: {
      ...process.env,
      ...options.env,
      PORT: '0',
      HOST: '127.0.0.1',
      VERSION: options.version,
      FAIL_RATE: String(options.failRate ?? 0),
      LATENCY_MS: String(options.latencyMs ?? 0),
      LATENCY_JITTER_MS: String(options.latencyJitterMs ?? 0),
      SEED: String(options.seed ?? 1),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = (): void => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };
  process.on('exit', killOnExit);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));

  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(killOnExit, 3000);
    await exited;
    clearTimeout(timer);
  };

  return new Promise((resolve, reject) => {
    const failStart = (why: string): void => {
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`example app ${options.version}: ${why} ${stderr}`)));
    };
    const timer = setTimeout(
      () => failStart('no listening line in time'),
      options.startTimeoutMs ?? 15_000,
    );
    child.once('error', (err) => failStart(err.message));
    const onEarlyExit = (code: number | null): void =>
      failStart(`exited with ${code} before listening`);
    child.once('exit', onEarlyExit);
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      child.off('exit', onEarlyExit);
      let port: unknown;
      try {
        port = (JSON.parse(line) as { port?: unknown }).port;
      } catch {
        // reported below
      }
      if (typeof port !== 'number' || child.pid === undefined) {
        failStart(`unexpected first line ${JSON.stringify(line)}`);
        return;
      }
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        pid: child.pid,
        version: options.version,
        stop,
      });
    });
  });
}
