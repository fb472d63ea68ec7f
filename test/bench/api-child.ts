import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Starts test/bench/api-server.ts in a child process and talks to it over IPC.

export interface BenchServer {
  url: string;
  ask<T>(cmd: string): Promise<T>;
  stop(): Promise<void>;
}

export async function startBenchServer(mode: 'hello' | 'api'): Promise<BenchServer> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./api-server.ts', import.meta.url)),
    [mode],
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const nextMessage = <T>() =>
    new Promise<T>((resolve, reject) => {
      child.once('message', (m) => resolve(m as T));
      child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    });
  const { url } = await nextMessage<{ url: string }>();
  return {
    url,
    ask: async <T>(cmd: string) => {
      const answer = nextMessage<T>();
      child.send({ cmd });
      return answer;
    },
    stop: async () => {
      const done = nextMessage<unknown>().catch(() => undefined);
      child.send({ cmd: 'stop' });
      await done;
      if (child.exitCode === null) child.kill();
    },
  };
}
