import { expect } from 'chai';
import fc from 'fast-check';
import {
  effectiveWeights,
  parseVirtualService,
  toIstioMatch,
  weightProblem,
} from '../../src/adapters/istio/virtual-service.js';
import { TrafficRoutingError } from '../../src/domain/errors.js';

// Pure parts of the Istio adapter: no server needed.

function cookieRegex(match: Parameters<typeof toIstioMatch>[0][number]): RegExp {
  const [m] = toIstioMatch([match]);
  const regex = (m?.headers as { cookie: { regex: string } }).cookie.regex;
  return new RegExp(regex);
}

describe('Istio VirtualService helpers', () => {
  describe('weightProblem', () => {
    const route = (...w: number[]) => ({
      route: 'primary',
      destinations: w.map((weight, i) => ({ host: `h${i}`, weight })),
    });
    const cases: Array<[string, ReturnType<typeof route>, RegExp | undefined]> = [
      ['accepts 70/0/30', route(70, 0, 30), undefined],
      ['accepts a lone 100', route(100), undefined],
      ['refuses a sum of 90', route(60, 30), /sum to 90/],
      ['refuses a sum of 0', route(0, 0), /sum to 0/],
      ['refuses a negative weight', route(-100, 200), /integers 0–100/],
      ['refuses a fraction', route(50.5, 49.5), /integers 0–100/],
      ['refuses NaN', route(Number.NaN, 100), /integers 0–100/],
      ['refuses a route without destinations', route(), /no destinations/],
    ];
    for (const [name, r, expected] of cases)
      it(name, () => {
        const problem = weightProblem(r);
        if (expected === undefined) expect(problem).to.equal(undefined);
        else expect(problem).to.match(expected);
      });

    it('accepts exactly the integer vectors 0–100 that sum to 100', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: -20, max: 120 }), { minLength: 1, maxLength: 4 }),
          (w) => {
            const valid =
              w.every((x) => x >= 0 && x <= 100) && w.reduce((a, b) => a + b, 0) === 100;
            expect(weightProblem(route(...w)) === undefined).to.equal(valid);
          },
        ),
      );
    });
  });

  describe('effectiveWeights', () => {
    it('counts a lone destination as 100 whatever its weight, and an absent weight as 0 otherwise', () => {
      const vs = parseVirtualService(
        {
          metadata: { name: 'shop', namespace: 'demo', resourceVersion: '7' },
          spec: {
            http: [
              { name: 'one', route: [{ destination: { host: 'a' }, weight: 0 }] },
              {
                name: 'two',
                route: [
                  { destination: { host: 'a' } },
                  { destination: { host: 'b' }, weight: 100 },
                ],
              },
            ],
          },
        },
        'VirtualService demo/shop',
      );
      expect(vs.http.map(effectiveWeights)).to.deep.equal([
        [{ host: 'a', weight: 100 }],
        [
          { host: 'a', weight: 0 },
          { host: 'b', weight: 100 },
        ],
      ]);
    });

    it('refuses a destination without a host, naming its path', () => {
      expect(() =>
        parseVirtualService(
          { spec: { http: [{ route: [{ destination: {} }] }] } },
          'VirtualService demo/shop',
        ),
      )
        .to.throw(TrafficRoutingError)
        .with.property('message')
        .that.contains('spec.http[0].route[0].destination.host');
    });
  });

  describe('toIstioMatch', () => {
    it('turns each header match into one alternative, lower-casing the header name', () => {
      expect(
        toIstioMatch([
          { header: 'X-Canary', exact: '1' },
          { header: 'x-user', prefix: 'beta-' },
          { header: 'x-region', regex: 'eu-.*' },
        ]),
      ).to.deep.equal([
        { headers: { 'x-canary': { exact: '1' } } },
        { headers: { 'x-user': { prefix: 'beta-' } } },
        { headers: { 'x-region': { regex: 'eu-.*' } } },
      ]);
    });

    it('matches a cookie by exact value wherever it sits in the Cookie header', () => {
      const re = cookieRegex({ cookie: 'canary', exact: 'yes' });
      for (const ok of ['canary=yes', 'a=b; canary=yes', 'canary=yes; a=b', 'a=b;canary=yes;c=d'])
        expect(re.test(ok), ok).to.equal(true);
      for (const no of ['canary=no', 'notcanary=yes', 'canary=yess', 'a=canary=yes', ''])
        expect(re.test(no), no).to.equal(false);
    });

    it('escapes regex characters in cookie names and values', () => {
      const re = cookieRegex({ cookie: 'c.v', exact: 'a+b' });
      expect(re.test('c.v=a+b')).to.equal(true);
      expect(re.test('cXv=aab')).to.equal(false);
    });

    it('matches a cookie by prefix', () => {
      const re = cookieRegex({ cookie: 'group', prefix: 'beta' });
      expect(re.test('x=1; group=beta-7')).to.equal(true);
      expect(re.test('group=alpha')).to.equal(false);
    });

    it('refuses a match that names neither a header nor a comparison', () => {
      expect(() => toIstioMatch([{ exact: '1' }])).to.throw(TrafficRoutingError);
      expect(() => toIstioMatch([{ header: 'x-canary' }])).to.throw(TrafficRoutingError);
    });
  });
});
