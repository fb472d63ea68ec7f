import { expect } from 'chai';
import { parseFeatureList } from '../../src/adapters/unleash/list.js';
import { Malformed } from '../../src/adapters/unleash/parse.js';

// The list answer of GET /api/admin/projects/:project/features, reduced to one environment.

describe('parseFeatureList', () => {
  const body = {
    features: [
      {
        name: 'checkout-v2',
        type: 'release',
        stale: false,
        environments: [
          { name: 'development', enabled: true, hasStrategies: true },
          { name: 'production', enabled: false, hasStrategies: false },
        ],
      },
      { name: 'bare' },
    ],
  };

  it('reports each flag with its state in the asked environment', () => {
    expect(parseFeatureList(body, 'development')).to.deep.equal([
      { name: 'checkout-v2', type: 'release', stale: false, enabled: true, hasStrategies: true },
      { name: 'bare', type: 'release', stale: false, enabled: false, hasStrategies: false },
    ]);
    expect(parseFeatureList(body, 'production')[0]).to.include({ enabled: false });
  });

  it('counts a flag as off in an environment it does not list', () => {
    expect(parseFeatureList(body, 'staging')[0]).to.include({ enabled: false });
  });

  it('refuses answers that are not a feature list', () => {
    for (const bad of [
      null,
      {},
      { features: {} },
      { features: [{ type: 'release' }] },
      { features: [1] },
    ])
      expect(() => parseFeatureList(bad, 'development'), JSON.stringify(bad)).to.throw(Malformed);
  });
});
