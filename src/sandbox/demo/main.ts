// `npm run demo [-- --json] [--strategy blue-green] [--serve] [--with-flags]`: the sandbox demo. Progress goes to stdout (stderr with --json,
// where stdout carries exactly one JSON summary). Exits 0 only when both outcomes are right.
import { createLogger } from '../../logging.js';
import { runBlueGreenDemo } from './blue-green.js';
import { runDemo } from './demo.js';
import { runFlagsDemo } from './flags-demo.js';
import { serveDemo, type ServeInfo } from './serve.js';

async function main(): Promise<number> {
  const json = process.argv.includes('--json');
  const verbose = process.argv.includes('--verbose');
  const logger = createLogger({ level: verbose ? 'info' : 'error', stream: process.stderr });
  const print = (line: string): void => {
    (json ? process.stderr : process.stdout).write(`${line}\n`);
  };
  if (process.argv.includes('--serve')) {
    await serveDemo({
      logger,
      print,
      signal: stop.signal,
      ready: (info) => announce(info, json, print),
      withFlags: process.argv.includes('--with-flags'),
    });
    return 0;
  }
  const at = process.argv.indexOf('--strategy');
  const strategy = at >= 0 ? process.argv[at + 1] : 'canary';
  if (strategy !== 'canary' && strategy !== 'blue-green')
    throw new Error(`--strategy must be canary or blue-green, not ${String(strategy)}`);
  const blueGreen = strategy === 'blue-green';
  const withFlags = process.argv.includes('--with-flags');
  if (withFlags && blueGreen) throw new Error('--with-flags runs the canary demo only');
  const options = { logger, print, signal: stop.signal };
  const result = blueGreen
    ? await runBlueGreenDemo(options)
    : withFlags
      ? await runFlagsDemo(options)
      : await runDemo(options);
  if (json) {
    process.stdout.write(`${JSON.stringify({ rollouts: result.rollouts })}\n`);
  } else {
    print('');
    print('summary');
    for (const r of result.rollouts) {
      const back =
        r.outcome === 'RolledBack'
          ? `, rolled back in ${r.rollbackSeconds ?? '?'}s: ${r.rollbackReason ?? ''}`
          : '';
      const switched =
        'failedRequestsDuringSwitch' in r && 'requestsDuringSwitch' in r
          ? `${back}; ${String(r.failedRequestsDuringSwitch ?? '?')} of ${String(r.requestsDuringSwitch ?? '?')} requests failed during the switch`
          : back;
      const extra =
        'flagAfter' in r
          ? `${switched}; flag at ${String(r.flagAfter ?? '?')}% afterwards`
          : switched;
      print(
        `  ${r.name} (${r.revision}): ${r.outcome} after ${r.durationSeconds}s, ${r.stepsCompleted} steps, max canary weight ${r.maxCanaryWeight}%${extra}`,
      );
    }
    print(
      result.ok
        ? `demo passed: the healthy release was promoted${blueGreen ? ' with no failed request at the switch' : ''}${withFlags ? ' with its flag at 100%' : ''} and the bad one rolled back${withFlags ? ' with its flag back at 0%' : ''}`
        : 'demo FAILED: an outcome was not the expected one',
    );
  }
  return result.ok ? 0 : 1;
}

/** With --json the first line of stdout is one JSON object a script can read. */
function announce(info: ServeInfo, json: boolean, print: (line: string) => void): void {
  if (json) {
    const { apiUrl, operatorToken, viewerToken, webhookSecret, rollout } = info;
    process.stdout.write(
      `${JSON.stringify({ apiUrl, operatorToken, viewerToken, webhookSecret, rollout, adminToken: info.adminToken, kubeApiUrl: info.kubeApiUrl, prometheusUrl: info.prometheusUrl, proxyUrl: info.proxyUrl, ...(info.unleash ? { unleash: info.unleash } : {}) })}\n`,
    );
    return;
  }
  print(`Sluice is serving the sandbox until you press Ctrl-C.`);
  print(`  control API:     ${info.apiUrl}`);
  print(`  operator token:  ${info.operatorToken}`);
  print(`  viewer token:    ${info.viewerToken}`);
  print(`  admin token:     ${info.adminToken}`);
  print(`  webhook secret:  ${info.webhookSecret}`);
  print(
    `  Kubernetes API:  ${info.kubeApiUrl} (kubectl --server ${info.kubeApiUrl} get rollouts -n demo)`,
  );
  print(`  Prometheus:      ${info.prometheusUrl}`);
  print(`  traffic:         ${info.proxyUrl}`);
  if (info.unleash)
    print(`  Unleash:         ${info.unleash.url} (flag ${info.unleash.flag} follows the canary)`);
  print('');
  print(`  export SLUICE_URL=${info.apiUrl} SLUICE_TOKEN=${info.operatorToken}`);
  print(`  npx tsx src/cli/main.ts get demo/shop`);
  if (info.unleash)
    print(
      `  SLUICE_TOKEN=${info.adminToken} npx tsx src/cli/main.ts flags get ${info.unleash.flag}`,
    );
  print(
    `  kubectl --server ${info.kubeApiUrl} -n demo set env deployment/shop VERSION=v2   # start a release`,
  );
}

const stop = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`demo: ${sig}, stopping everything it started\n`);
    stop.abort(new Error(`interrupted by ${sig}`));
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
