import { expect } from 'chai';
import { summarizeRollout } from '../../src/api/view.js';
import { rolloutDetail } from '../../src/cli/render.js';
import { makeRollout } from '../api/support.js';

describe('sluice get', () => {
  it('prints the step index that --expected-step takes next to the 1-based position', () => {
    const text = rolloutDetail(summarizeRollout(makeRollout('checkout', 'Paused', 2)));
    expect(text).to.match(/Step: +3\/\d+ \(index 2: --expected-step 2\)/);
  });
});
