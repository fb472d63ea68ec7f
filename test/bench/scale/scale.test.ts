import { expect } from 'chai';
import { runScaleBenchmark } from './run.js';
import { renderReport } from './render.js';

// Keeps the S32 benchmark from rotting: the whole pipeline with tiny numbers (5 rollouts, 2
// progressing, one of them hanging). The figures are checked for shape and sense, not speed.

describe('scale benchmark (S32)', function () {
  this.timeout(90_000);

  it('runs a baseline and a small load run and reports every S32 figure', async () => {
    const report = await runScaleBenchmark({
      rollouts: 5,
      namespaces: 2,
      progressing: 2,
      quick: true,
      kubeQps: 50,
      timings: { pauseMs: 3000, intervalMs: 2000, queryTimeoutMs: 2000, deadlineMs: 30_000 },
    });
    expect(report.baseline.promoted).to.equal(1);
    expect(report.load.promoted).to.equal(1);
    expect(report.load.hang?.state).to.be.oneOf(['in analysis', 'aborted']);
    expect(report.load.lateness.count).to.be.at.least(5);
    expect(report.load.zeroSeconds.max).to.be.above(0);
    expect(report.load.api.requests).to.be.above(0);
    expect(report.load.lostLease).to.equal(false);
    expect(report.targets.map((t) => t.target)).to.have.length(5);
    expect(renderReport(report)).to.match(/p99 step lateness|step lateness/);
  });
});
