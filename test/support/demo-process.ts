import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// `npm run demo` as a child process, the way the end-to-end tests run it: to completion with
// its output collected, or with --serve until the test stops it.

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Node's arguments that run the demo's entry point (the demo's own arguments follow). */
export const DEMO = ['--import', 'tsx', resolve(ROOT, 'src/sandbox/demo/main.ts')];

export interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo with `args` until it exits; `onStart` gets its pid as soon as it has one. */
export function runDemo(args: string[], onStart?: (pid: number) => void): Promise<DemoRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...DEMO, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    if (child.pid !== undefined) onStart?.(child.pid);
  });
}

export interface ServingDemo<T> {
  child: ChildProcess;
  /** The first line of stdout, parsed (the demo's --serve --json announcement). */
  info: T;
  /** What it has written to stderr so far. */
  stderr(): string;
  /** SIGINT, then waits for the exit; nothing to do when it has exited already. */
  stop(): Promise<void>;
}

/**
 * Starts `demo --serve` with `args` (include --json) and waits for its first stdout line. The
 * caller stops it (in `after`); it is stopped here when it fails before announcing itself.
 */
export async function startServingDemo<T>(args: string[]): Promise<ServingDemo<T>> {
  const child = spawn(process.execPath, [...DEMO, '--serve', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
  };
  try {
    const first = await new Promise<string>((done, fail) => {
      createInterface({ input: child.stdout }).once('line', done);
      child.once('error', fail);
      child.once('exit', (code) =>
        fail(
          new Error(`demo --serve exited with ${code} before it was ready: ${stderr.slice(-2000)}`),
        ),
      );
    });
    return { child, info: JSON.parse(first) as T, stderr: () => stderr, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
