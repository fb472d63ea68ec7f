// A PodRunner that spawns one real child process per (deployment, template hash), e.g. the
// example app, and learns its port from the first stdout line {"event":"listening","port":N}.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createLogger, type Logger } from '../../logging.js';
import type { PodProcessSpec, PodRunner, RunningProcess } from './types.js';

export interface ProcessRunnerOptions {
  /** argv: the program and its arguments. */
  command: string[];
  cwd: string;
  /** Extra environment for every process (the pod env and PORT=0 come on top). */
  env?: Record<string, string>;
  /** How long a process may take to print its listening line. Default 15 s. */
  startTimeoutMs?: number;
  logger?: Logger;
}

const STOP_GRACE_MS = 3000;

export function processRunner(options: ProcessRunnerOptions): PodRunner {
  const log = options.logger ?? createLogger({ silent: true });
  return {
    start: (pod: PodProcessSpec) => startOne(options, pod, log),
  };
}

function startOne(
  options: ProcessRunnerOptions,
  pod: PodProcessSpec,
  log: Logger,
): Promise<RunningProcess> {
  const [program, ...args] = options.command;
  if (program === undefined) return Promise.reject(new Error('processRunner: command is empty'));
  const child = spawn(program, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, ...pod.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const where = {
    namespace: pod.namespace,
    deployment: pod.deployment,
    templateHash: pod.templateHash,
    pid: child.pid,
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
        process.kill(child.pid, 'SIGKILL');
    }, STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  child.stderr.on('data', (chunk: Buffer) =>
    log.debug('pod process stderr', { ...where, text: chunk.toString('utf8').slice(0, 2000) }),
  );
  return new Promise<RunningProcess>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    let listening = false;
    const fail = (why: string): void => {
      if (listening) return;
      listening = true;
      clearTimeout(timer);
      void stop().then(() =>
        reject(new Error(`pod process for ${pod.namespace}/${pod.deployment} ${why}`)),
      );
    };
    const timer = setTimeout(
      () => fail(`printed no listening line within ${options.startTimeoutMs ?? 15000} ms`),
      options.startTimeoutMs ?? 15000,
    );
    lines.on('line', (line) => {
      if (listening) return;
      const port = listeningPort(line);
      if (port === undefined) return;
      listening = true;
      clearTimeout(timer);
      log.info('pod process listening', { ...where, port });
      resolve({ url: `http://127.0.0.1:${port}`, stop });
    });
    child.once('error', (err) => fail(`could not start: ${err.message}`));
    child.once('exit', (code, signal) =>
      fail(`exited early (code ${String(code)}, signal ${String(signal)})`),
    );
  });
}

function listeningPort(line: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { event, port } = parsed as { event?: unknown; port?: unknown };
    return event === 'listening' && typeof port === 'number' && Number.isInteger(port) && port > 0
      ? port
      : undefined;
  } catch {
    return undefined;
  }
}
