import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { runDemo } from '../support/demo-process.js';

// The README's first command, run as a user would (in JSON mode), end to end: sandbox, real
// Prometheus, real app processes, real traffic.

interface Summary {
  rollouts: Array<{
    name: string;
    revision: string;
    outcome: string;
    stepsCompleted: number;
    maxCanaryWeight: number;
    rollbackReason: string | null;
    rollbackSeconds: number | null;
    durationSeconds: number;
  }>;
}

function descendants(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const line of out.trim().split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number) as [number, number];
    children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const all: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      all.push(c);
      walk(c);
    }
  };
  walk(pid);
  return all;
}

/** Running (a zombie waiting to be reaped by init does not count: it holds no resources). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' })
      .trim()
      .startsWith('Z');
  } catch {
    return false;
  }
}

describe('demo (end to end)', function () {
  this.timeout(240_000);

  it('promotes the healthy release and rolls back the failing one, with a JSON summary', async () => {
    const started = Date.now();
    const { code, stdout, stderr } = await runDemo(['--json']);
    expect(code, stderr.slice(-2000)).to.equal(0);
    const lines = stdout.trim().split('\n');
    expect(lines).to.have.length(1);
    const summary = JSON.parse(lines[0] as string) as Summary;
    expect(summary.rollouts.map((r) => r.outcome)).to.deep.equal(['Promoted', 'RolledBack']);
    const [good, bad] = summary.rollouts;
    expect(good?.maxCanaryWeight).to.equal(50);
    expect(good?.stepsCompleted).to.equal(5);
    expect(good?.rollbackReason).to.equal(null);
    expect(bad?.rollbackReason).to.match(/success-rate/);
    expect(bad?.rollbackSeconds).to.be.a('number').within(0, 5);
    expect(bad?.maxCanaryWeight).to.equal(20);
    for (const r of summary.rollouts) {
      expect(Object.keys(r).sort()).to.deep.equal(
        [
          'durationSeconds',
          'maxCanaryWeight',
          'name',
          'outcome',
          'revision',
          'rollbackReason',
          'rollbackSeconds',
          'stepsCompleted',
        ].sort(),
      );
    }
    expect(stderr).to.match(/Progressing step 2\/5, weights stable 80 \/ canary 20/);
    expect(Date.now() - started).to.be.below(180_000);
  });

  it('stops every process it started when interrupted', async () => {
    let demoPid = 0;
    let seen: number[] = [];
    const timer = setInterval(() => {
      if (demoPid) seen = [...new Set([...seen, ...descendants(demoPid)])];
    }, 200);
    const result = runDemo(['--json'], (pid) => {
      demoPid = pid;
      setTimeout(() => process.kill(pid, 'SIGINT'), 6_000);
    });
    const { code, stderr } = await result;
    clearInterval(timer);
    expect(code).to.not.equal(0);
    expect(stderr).to.match(/interrupted by SIGINT|stopping/);
    expect(seen.length, 'the demo had started child processes').to.be.greaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    const left = seen.filter(alive).map((p) => {
      try {
        return `${p}: ${execFileSync('ps', ['-o', 'args=', '-p', String(p)], { encoding: 'utf8' }).trim()}`;
      } catch {
        return `${p}`;
      }
    });
    expect(left).to.deep.equal([]);
  });
});
