import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { runBenchmark } from '../../bench/decision-quality/harness.js';

function runMain(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'test/bench/decision-quality/main.ts', ...args],
      { timeout: 60_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe('decision-quality benchmark (quick mode)', function () {
  this.timeout(60_000);

  it('prints one JSON object with the three deciders, sluice among them', async () => {
    const out = await runMain(['--json', '--seed', '3', '--trials', '150']);
    expect(out.trim().split('\n')).to.have.length(1);
    const report = JSON.parse(out) as { deciders: Array<Record<string, unknown>> };
    expect(report.deciders.map((d) => d['name'])).to.deep.equal([
      'threshold',
      'mann-whitney',
      'sluice',
    ]);
    for (const d of report.deciders) {
      expect(d).to.have.all.keys(
        'name',
        'detectionRate',
        'falseRollbackRate',
        'meanTrafficExposedAtDetection',
      );
      for (const key of ['detectionRate', 'falseRollbackRate'])
        expect(d[key]).to.be.a('number').within(0, 1);
      expect(d['meanTrafficExposedAtDetection']).to.be.a('number').above(0);
    }
  });

  it('reproduces a run from its seed', () => {
    const a = runBenchmark({ seed: 9, trials: 60 });
    const b = runBenchmark({ seed: 9, trials: 60 });
    expect(a).to.deep.equal(b);
  });

  it("keeps sluice's false rollbacks bounded and its detection ahead of Mann-Whitney", () => {
    const report = runBenchmark({ seed: 5, trials: 600 });
    const byName = new Map(report.deciders.map((d) => [d.name, d]));
    const sluice = byName.get('sluice');
    const mw = byName.get('mann-whitney');
    const threshold = byName.get('threshold');
    if (!sluice || !mw || !threshold) throw new Error('a decider is missing from the report');
    expect(sluice.falseRollbackRate).to.be.at.most(0.01);
    expect(sluice.falseRollbackRate).to.be.below(mw.falseRollbackRate);
    expect(sluice.falseRollbackRate).to.be.below(threshold.falseRollbackRate);
    expect(sluice.detectionRate).to.be.above(mw.detectionRate);
    expect(sluice.detectionRate).to.be.at.least(0.97);
  });
});
