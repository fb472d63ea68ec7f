import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import type { ServiceLevelObjective } from '../../src/domain/slo/index.js';

// Shared by the SLO integration suites: the example SLO and a way to run Debian's tools.

export const TOOL_MISSING =
  "is not installed; run `bash scripts/ensure-deps.sh prometheus` (Debian's prometheus package " +
  'brings prometheus and promtool) and run the tests again';

export async function findTool(name: string): Promise<string> {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${name} ${TOOL_MISSING}`);
}

export interface ToolRun {
  code: number;
  output: string;
}

/** Runs a tool to completion (bounded by timeoutMs) and returns its exit code and output. */
export function runTool(binary: string, args: string[], timeoutMs = 60_000): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

export function exampleSlo(objective = 99.9): ServiceLevelObjective {
  return {
    metadata: { name: 'shop-availability', namespace: 'shop' },
    spec: {
      service: 'shop',
      objective,
      window: '28d',
      sli: {
        kind: 'availability',
        goodQuery: 'sum(rate(http_requests_total{job="shop",code!~"5.."}[{{window}}]))',
        totalQuery: 'sum(rate(http_requests_total{job="shop"}[{{window}}]))',
      },
    },
  };
}
