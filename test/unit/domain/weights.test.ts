import { expect } from 'chai';
import fc from 'fast-check';
import { InvalidSpecError, RouteConflictError } from '../../../src/domain/errors.js';
import type { RouteWeights } from '../../../src/domain/types.js';
import {
  checkRouteWeights,
  currentWeights,
  findManagedDestinations,
  normaliseWeights,
  planRouteWeights,
  promotedRoute,
  qualifyHost,
  restoreRoute,
} from '../../../src/domain/weights.js';

const hosts = { stable: 'shop-primary', canary: 'shop-canary', namespace: 'demo' };

function route(...weights: Array<[string, number]>): RouteWeights {
  return { route: 'primary', destinations: weights.map(([host, weight]) => ({ host, weight })) };
}

function weightsOf(r: RouteWeights): number[] {
  return r.destinations.map((d) => d.weight);
}

describe('weights', () => {
  describe('hosts', () => {
    it('treats short, namespaced and fully qualified names of a service as the same host', () => {
      const fq = 'shop-primary.demo.svc.cluster.local';
      for (const h of ['shop-primary', 'shop-primary.demo', 'shop-primary.demo.svc', fq, `${fq}.`])
        expect(qualifyHost(h, 'demo'), h).to.equal(fq);
      expect(qualifyHost('shop-primary.other', 'demo')).to.equal(
        'shop-primary.other.svc.cluster.local',
      );
      expect(qualifyHost('api.example.com', 'demo')).to.equal('api.example.com');
    });

    it('finds the managed destinations whatever form their host names take', () => {
      const r = route(
        ['legacy', 30],
        ['shop-canary.demo.svc.cluster.local', 0],
        ['shop-primary.demo', 70],
      );
      expect(findManagedDestinations(r, hosts)).to.deep.equal({ stable: 2, canary: 1 });
    });

    it('reports a missing canary destination naming the route and the service', () => {
      const r = route(['shop-primary', 100]);
      expect(() => findManagedDestinations(r, hosts))
        .to.throw(RouteConflictError)
        .with.property('message')
        .that.matches(/route "primary" has no destination for the canary service shop-canary/);
    });

    it('reports a stable service in another namespace as missing', () => {
      const r = route(['shop-primary.other', 100], ['shop-canary', 0]);
      expect(() => findManagedDestinations(r, hosts)).to.throw(
        RouteConflictError,
        /stable service/,
      );
    });

    it('refuses a route with the canary twice', () => {
      const r = route(['shop-primary', 100], ['shop-canary', 0], ['shop-canary.demo', 0]);
      expect(() => findManagedDestinations(r, hosts)).to.throw(
        RouteConflictError,
        /2 destinations/,
      );
    });
  });

  describe('planRouteWeights', () => {
    it('S09 keeps a destination it does not manage, byte for byte', () => {
      const legacy = { host: 'legacy', subset: 'v1', port: 8080, weight: 30, headers: { x: 'y' } };
      const original: RouteWeights = {
        route: 'primary',
        destinations: [
          { host: 'shop-primary', weight: 70 },
          { host: 'shop-canary', weight: 0 },
          legacy,
        ],
      };
      const expected: Array<[number, number[], boolean]> = [
        [20, [50, 20, 30], false],
        [50, [20, 50, 30], false],
        [100, [0, 70, 30], true],
      ];
      let current = original;
      for (const [percent, weights, capped] of expected) {
        const plan = planRouteWeights(current, hosts, percent);
        expect(weightsOf(plan.route), `setWeight ${percent}`).to.deep.equal(weights);
        expect(plan.capped).to.equal(capped);
        expect(plan.effectiveCanary).to.equal(weights[1]);
        expect(plan.route.destinations[2]).to.equal(legacy);
        expect(JSON.stringify(plan.route.destinations[2])).to.equal(JSON.stringify(legacy));
        current = plan.route;
      }
      expect(weightsOf(promotedRoute(current, hosts))).to.deep.equal([70, 0, 30]);
      expect(weightsOf(restoreRoute(original, current))).to.deep.equal([70, 0, 30]);
      expect(restoreRoute(original, current).destinations[2]).to.equal(legacy);
    });

    it('keeps every other field of a managed destination', () => {
      const r: RouteWeights = {
        route: 'primary',
        destinations: [
          { host: 'shop-primary', subset: 'stable', port: 80, weight: 100 },
          { host: 'shop-canary', port: 80, weight: 0 },
        ],
      };
      expect(planRouteWeights(r, hosts, 40).route).to.deep.equal({
        route: 'primary',
        destinations: [
          { host: 'shop-primary', subset: 'stable', port: 80, weight: 60 },
          { host: 'shop-canary', port: 80, weight: 40 },
        ],
      });
    });

    const rejected = [-1, 101, 12.5, Number.NaN, Number.POSITIVE_INFINITY];
    for (const percent of rejected) {
      it(`rejects a requested canary weight of ${percent} rather than clamping it`, () => {
        expect(() =>
          planRouteWeights(route(['shop-primary', 100], ['shop-canary', 0]), hosts, percent),
        )
          .to.throw(InvalidSpecError)
          .with.property('message')
          .that.matches(/integer from 0 to 100/);
      });
    }

    it('normalises a route that does not sum to 100, keeping proportions', () => {
      const r = route(['shop-primary', 2], ['shop-canary', 0], ['legacy', 1]);
      const plan = planRouteWeights(r, hosts, 10);
      expect(weightsOf(plan.route)).to.deep.equal([57, 10, 33]);
    });

    it('gives an all-zero route a valid plan', () => {
      const plan = planRouteWeights(route(['shop-primary', 0], ['shop-canary', 0]), hosts, 30);
      expect(weightsOf(plan.route)).to.deep.equal([70, 30]);
    });

    it('refuses a route with a negative weight', () => {
      const r = route(['shop-primary', 100], ['shop-canary', -100], ['legacy', 100]);
      expect(() => planRouteWeights(r, hosts, 10)).to.throw(RouteConflictError, /non-negative/);
    });

    it('reads the current stable and canary weights', () => {
      expect(
        currentWeights(route(['legacy', 1], ['shop-primary', 1], ['shop-canary', 2]), hosts),
      ).to.deep.equal({ stable: 25, canary: 50 });
    });
  });

  describe('normaliseWeights', () => {
    const cases: Array<[number[], number[]]> = [
      [
        [70, 30],
        [70, 30],
      ],
      [
        [1, 1, 1],
        [34, 33, 33],
      ],
      [
        [2, 1],
        [67, 33],
      ],
      [
        [1, 1, 1, 1, 1, 1],
        [17, 17, 17, 17, 16, 16],
      ],
      [
        [50.5, 49.5],
        [51, 49],
      ],
      [
        [0, 5],
        [0, 100],
      ],
      [
        [200, 600, 200],
        [20, 60, 20],
      ],
    ];
    for (const [input, output] of cases) {
      it(`turns ${input.join('/')} into ${output.join('/')}`, () => {
        expect(normaliseWeights(input)).to.deep.equal(output);
      });
    }

    it('refuses weights that sum to 0', () => {
      expect(() => normaliseWeights([0, 0])).to.throw(RouteConflictError, /sum to 0/);
    });
  });

  describe('checkRouteWeights', () => {
    it('accepts integers 0–100 summing to 100', () => {
      expect(checkRouteWeights(route(['a', 0], ['b', 100]))).to.deep.equal([]);
    });

    it('names every bad weight and a wrong sum', () => {
      const problems = checkRouteWeights(route(['a', -100], ['b', 200], ['c', 0.5]));
      expect(problems).to.have.length(4);
      expect(problems[0]).to.match(/a has weight -100; weights must be integers from 0 to 100/);
      expect(problems[3]).to.match(/weights sum to 100.5, not 100/);
      expect(checkRouteWeights(route(['a', 0], ['b', 0]))).to.deep.equal([
        'route "primary": weights sum to 0, not 100',
      ]);
      expect(checkRouteWeights(route())).to.deep.equal(['route "primary" has no destinations']);
    });
  });

  describe('restoreRoute', () => {
    it('restores the original weights exactly, matching destinations by host, subset and port', () => {
      const original: RouteWeights = {
        route: 'primary',
        destinations: [
          { host: 'shop-primary', weight: 60 },
          { host: 'legacy', subset: 'a', weight: 25 },
          { host: 'legacy', subset: 'b', weight: 15 },
          { host: 'shop-canary', weight: 0 },
        ],
      };
      const current: RouteWeights = {
        route: 'primary',
        destinations: [
          { host: 'legacy', subset: 'b', weight: 15 },
          { host: 'shop-canary', weight: 50 },
          { host: 'shop-primary', weight: 10 },
          { host: 'legacy', subset: 'a', weight: 25 },
        ],
      };
      expect(weightsOf(restoreRoute(original, current))).to.deep.equal([15, 0, 60, 25]);
    });

    it('gives a destination added since 0 and renormalises when one was removed', () => {
      const original = route(['shop-primary', 70], ['shop-canary', 0], ['legacy', 30]);
      const added = route(['shop-primary', 20], ['shop-canary', 50], ['legacy', 30], ['debug', 0]);
      expect(weightsOf(restoreRoute(original, added))).to.deep.equal([70, 0, 30, 0]);
      const removed = route(['shop-primary', 50], ['shop-canary', 50]);
      expect(weightsOf(restoreRoute(original, removed))).to.deep.equal([100, 0]);
    });

    it('restores a route that summed to 3 as its proportions of 100', () => {
      const original = route(['shop-primary', 2], ['shop-canary', 0], ['legacy', 1]);
      const current = route(['shop-primary', 47], ['shop-canary', 20], ['legacy', 33]);
      expect(weightsOf(restoreRoute(original, current))).to.deep.equal([67, 0, 33]);
    });
  });

  describe('properties', () => {
    const anyRoute = fc
      .tuple(
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 0, maxLength: 3 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        fc.nat(),
      )
      .filter(([others, s, c]) => others.reduce((a, b) => a + b, s + c) > 0)
      .map(([others, s, c, seed]) => {
        const destinations = [
          { host: 'shop-primary', weight: s },
          { host: 'shop-canary.demo', weight: c },
          ...others.map((weight, i) => ({ host: `other-${i}`, port: 80 + i, weight })),
        ];
        // Put the managed destinations anywhere in the list.
        const rotated = destinations.map((_, i) => destinations[(i + seed) % destinations.length]);
        return { route: 'primary', destinations: rotated } as RouteWeights;
      });
    const percents = fc.array(
      fc.oneof(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: -1000, max: 1000 }),
        fc.double({ min: -200, max: 200 }),
      ),
      { minLength: 1, maxLength: 8 },
    );

    it('plans only valid routes and never changes what it does not manage', () => {
      fc.assert(
        fc.property(anyRoute, percents, (start, requests) => {
          const managed = findManagedDestinations(start, hosts);
          const unmanagedStart = normaliseWeights(weightsOf(start)).filter(
            (_, i) => i !== managed.stable && i !== managed.canary,
          );
          let current = start;
          for (const percent of requests) {
            if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
              expect(() => planRouteWeights(current, hosts, percent)).to.throw(InvalidSpecError);
              continue;
            }
            const plan = planRouteWeights(current, hosts, percent);
            expect(checkRouteWeights(plan.route)).to.deep.equal([]);
            expect(plan.effectiveCanary).to.equal(Math.min(percent, plan.effectiveCanary));
            expect(plan.capped).to.equal(plan.effectiveCanary < percent);
            const unmanaged = plan.route.destinations.filter(
              (_, i) => i !== managed.stable && i !== managed.canary,
            );
            expect(unmanaged.map((d) => d.weight)).to.deep.equal(unmanagedStart);
            unmanaged.forEach((d) => {
              const before = current.destinations.find((o) => o.host === d.host);
              expect(before?.port).to.equal(d.port);
            });
            current = plan.route;
          }
          expect(checkRouteWeights(restoreRoute(start, current))).to.deep.equal([]);
          expect(weightsOf(restoreRoute(start, current))).to.deep.equal(
            normaliseWeights(weightsOf(start)),
          );
          expect(checkRouteWeights(promotedRoute(current, hosts))).to.deep.equal([]);
        }),
        { numRuns: 1000 },
      );
    });
  });
});
