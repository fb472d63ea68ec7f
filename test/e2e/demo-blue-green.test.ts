import { expect } from 'chai';
import { runDemo } from '../support/demo-process.js';

// `npm run demo -- --strategy blue-green --json`, run as a user would: sandbox, real Prometheus,
// real app processes, real traffic. The healthy release must switch with no failed request.

interface Summary {
  rollouts: Array<Record<string, unknown> & { outcome: string }>;
}

describe('blue-green demo (end to end)', function () {
  this.timeout(240_000);

  it('switches the healthy release under live load with zero failed requests and switches the failing one back', async () => {
    const started = Date.now();
    const { code, stdout, stderr } = await runDemo(['--strategy', 'blue-green', '--json']);
    expect(code, stderr.slice(-2000)).to.equal(0);
    const lines = stdout.trim().split('\n');
    expect(lines).to.have.length(1);
    const summary = JSON.parse(lines[0] as string) as Summary;
    expect(summary.rollouts.map((r) => r.outcome)).to.deep.equal(['Promoted', 'RolledBack']);
    const [good, bad] = summary.rollouts;
    expect(good?.failedRequestsDuringSwitch).to.equal(0);
    expect(good?.requestsDuringSwitch).to.be.a('number').above(100);
    expect(good?.maxCanaryWeight).to.equal(100);
    expect(good?.rollbackReason).to.equal(null);
    expect(bad?.rollbackReason).to.match(/post-promotion analysis.*success-rate/);
    expect(bad?.rollbackSeconds).to.be.a('number').within(0, 5);
    for (const r of summary.rollouts) {
      expect(Object.keys(r).sort()).to.deep.equal(
        [
          'durationSeconds',
          'failedRequestsDuringSwitch',
          'maxCanaryWeight',
          'name',
          'outcome',
          'requestsDuringSwitch',
          'revision',
          'rollbackReason',
          'rollbackSeconds',
          'stepsCompleted',
        ].sort(),
      );
    }
    expect(stderr).to.match(/PreviewReady: preview \w+ ready/);
    expect(stderr).to.match(/AnalysisSuccessful: pre-promotion analysis .* \[success-rate=/);
    expect(stderr).to.match(/TrafficSwitched: all traffic switched/);
    expect(stderr).to.match(/OldVersionScaledDown: old version/);
    expect(stderr).to.match(/SwitchedBack: all traffic back to shop-primary/);
    expect(Date.now() - started).to.be.below(120_000);
  });
});
