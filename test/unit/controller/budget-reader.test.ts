import { expect } from 'chai';
import { budgetReaderFrom, type SloStatusCache } from '../../../src/controller/budget.js';
import { ResourceNotFoundError } from '../../../src/domain/errors.js';

describe('budget reader', () => {
  const status = { status: { errorBudgetRemaining: 0.25, evaluatedAt: '2026-12-04T10:00:00Z' } };

  it('reads the SLO watch cache once it has synced, without asking the API server', async () => {
    let asked = 0;
    const cache: SloStatusCache = {
      hasSynced: () => true,
      get: (ns, name) => (ns === 'shop' && name === 'avail' ? status : undefined),
    };
    const reader = budgetReaderFrom(
      {
        get: async () => {
          asked += 1;
          return status;
        },
      },
      () => cache,
    );
    expect(await reader.read('shop', 'avail')).to.deep.equal({
      slo: 'avail',
      found: true,
      remaining: 0.25,
      evaluatedAt: '2026-12-04T10:00:00Z',
    });
    expect(await reader.read('shop', 'nope')).to.deep.equal({ slo: 'nope', found: false });
    expect(asked).to.equal(0);
  });

  it('asks the API server while the cache has not synced, and reports a missing SLO as not found', async () => {
    const reader = budgetReaderFrom(
      {
        get: async ({ name }) => {
          if (name === 'nope')
            throw new ResourceNotFoundError('ServiceLevelObjective', 'nope', 'not found');
          return status;
        },
      },
      () => ({ hasSynced: () => false, get: () => undefined }),
    );
    expect((await reader.read('shop', 'avail')).remaining).to.equal(0.25);
    expect(await reader.read('shop', 'nope')).to.deep.equal({ slo: 'nope', found: false });
  });
});
