// Child-process entry point for startUnleash (src/sandbox/unleash.ts). It runs unleash-server
// in its own process so the server's globals, handlers and logs stay out of the caller's.
// Protocol: the config arrives as JSON in SLUICE_UNLEASH_CONFIG; one JSON line on stdout
// ({"event":"listening","port":N,...timings} or {"event":"failed","message":...}); Unleash's own logs go
// to stderr; SIGTERM stops the server and closes its database pool before exiting.

import type { LogProvider } from 'unleash-server';

interface RunnerConfig {
  db: { host: string; port: number; user: string; password: string; database: string };
  port: number;
  adminToken: string;
  clientToken: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

const LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;

function stderrLogger(min: RunnerConfig['logLevel']): LogProvider {
  const minIndex = LEVELS.indexOf(min);
  return (category = 'unleash') => {
    const write =
      (level: (typeof LEVELS)[number]) =>
      (msg: unknown, ...args: unknown[]): void => {
        if (LEVELS.indexOf(level) < minIndex) return;
        const extra = args.map((a) => (a instanceof Error ? a.message : a));
        process.stderr.write(`${JSON.stringify({ level, category, msg: String(msg), extra })}\n`);
      };
    return {
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
      fatal: write('fatal'),
    };
  };
}

function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const raw = process.env.SLUICE_UNLEASH_CONFIG;
  if (raw === undefined) throw new Error('SLUICE_UNLEASH_CONFIG is not set');
  const config = JSON.parse(raw) as RunnerConfig;
  const t0 = Date.now();
  const { start, ApiTokenType } = await import('unleash-server');
  const importMs = Date.now() - t0;
  const unleash = await start({
    db: { ...config.db, ssl: false, pool: { min: 0, max: 10 } },
    server: {
      host: '127.0.0.1',
      port: config.port,
      gracefulShutdownEnable: false,
      gracefulShutdownTimeout: 100,
    },
    authentication: {
      initApiTokens: [
        {
          environment: '*',
          projects: ['*'],
          secret: config.adminToken,
          type: ApiTokenType.ADMIN,
          tokenName: 'sluice-admin',
        },
        {
          environment: 'development',
          projects: ['default'],
          secret: config.clientToken,
          type: ApiTokenType.BACKEND,
          tokenName: 'sluice-client',
        },
      ],
    },
    versionCheck: { enable: false },
    getLogger: stderrLogger(config.logLevel),
  });
  const address = unleash.server?.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    unleash.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  report({ event: 'listening', port, importMs, startMs: Date.now() - t0 - importMs });
}

main().catch((err: unknown) => {
  report({ event: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
