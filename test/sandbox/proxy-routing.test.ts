import { expect } from 'chai';
import fc from 'fast-check';
import {
  parseHttpRoutes,
  pickDestination,
  selectRoute,
  splitHost,
  VirtualServiceParseError,
  type RequestFacts,
} from '../../src/sandbox/proxy/index.js';

function vs(http: unknown[]): unknown {
  return { apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', spec: { http } };
}

function dest(host: string, weight?: number): unknown {
  return weight === undefined ? { destination: { host } } : { destination: { host }, weight };
}

function facts(path: string, headers: Record<string, string> = {}, method = 'GET'): RequestFacts {
  return { path, headers, method };
}

describe('proxy routing', () => {
  const routes = parseHttpRoutes(
    vs([
      {
        name: 'header',
        match: [
          { headers: { 'X-Canary': { exact: 'always' } } },
          { headers: { cookie: { regex: '.*user=beta.*' } } },
        ],
        route: [dest('shop-canary')],
      },
      {
        name: 'api',
        match: [{ uri: { prefix: '/api/' }, method: { exact: 'POST' } }],
        route: [dest('api')],
      },
      { name: 'primary', route: [dest('shop-primary', 80), dest('shop-canary', 20)] },
    ]),
  );

  it('takes the first route whose match fits, in order', () => {
    expect(selectRoute(routes, facts('/', { 'x-canary': 'always' }))?.name).to.equal('header');
    expect(selectRoute(routes, facts('/', { cookie: 'a=1; user=beta; b=2' }))?.name).to.equal(
      'header',
    );
    expect(selectRoute(routes, facts('/api/x', {}, 'POST'))?.name).to.equal('api');
  });

  it('falls through when any condition of a match does not hold', () => {
    expect(selectRoute(routes, facts('/', { 'x-canary': 'Always' }))?.name).to.equal('primary');
    expect(selectRoute(routes, facts('/api/x', {}, 'GET'))?.name).to.equal('primary');
  });

  it('matches a regex against the whole value, as Envoy does', () => {
    const [route] = parseHttpRoutes(
      vs([{ match: [{ headers: { v: { regex: 'b' } } }], route: [dest('x')] }]),
    );
    expect(selectRoute([route!], facts('/', { v: 'b' }))).to.not.equal(undefined); // NOTE: one route parsed
    expect(selectRoute([route!], facts('/', { v: 'abc' }))).to.equal(undefined);
  });

  it('finds no route when none fits and there is no catch-all', () => {
    expect(selectRoute(routes.slice(0, 2), facts('/'))).to.equal(undefined);
  });

  it('splits by weight / sum of weights', () => {
    const ds = routes[2]!.destinations; // NOTE: the "primary" route parsed above
    expect(pickDestination(ds, 0)?.host).to.equal('shop-primary');
    expect(pickDestination(ds, 0.7999)?.host).to.equal('shop-primary');
    expect(pickDestination(ds, 0.8)?.host).to.equal('shop-canary');
    expect(pickDestination(ds, 0.99999)?.host).to.equal('shop-canary');
  });

  it('gives a lone destination everything, whatever its weight', () => {
    const [route] = parseHttpRoutes(vs([{ route: [dest('only', 0)] }]));
    expect(pickDestination(route!.destinations, 0.5)?.host).to.equal('only'); // NOTE: parsed
  });

  it('never picks a destination of weight 0 and picks none when all are 0', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 100 }), { minLength: 2, maxLength: 5 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (weights, draw) => {
          const ds = weights.map((weight, i) => ({ host: `h${i}`, weight }));
          const picked = pickDestination(ds, draw);
          if (weights.every((w) => w === 0)) return picked === undefined;
          return picked !== undefined && picked.weight > 0;
        },
      ),
    );
  });

  it('reads the namespace from a destination host', () => {
    expect(splitHost('shop-canary', 'demo')).to.deep.equal({
      name: 'shop-canary',
      namespace: 'demo',
    });
    expect(splitHost('shop.other.svc.cluster.local', 'demo')).to.deep.equal({
      name: 'shop',
      namespace: 'other',
    });
  });

  it('refuses a match field it does not implement, naming it', () => {
    const bad = vs([{ match: [{ queryParams: { a: { exact: 'b' } } }], route: [dest('x')] }]);
    expect(() => parseHttpRoutes(bad)).to.throw(
      VirtualServiceParseError,
      'spec.http[0].match[0].queryParams',
    );
  });

  it('refuses a negative or fractional weight and a route without destinations', () => {
    expect(() => parseHttpRoutes(vs([{ route: [dest('a', -1), dest('b', 101)] }]))).to.throw(
      'spec.http[0].route[0].weight',
    );
    expect(() => parseHttpRoutes(vs([{ route: [dest('a', 0.5), dest('b', 1)] }]))).to.throw(
      'weight',
    );
    expect(() => parseHttpRoutes(vs([{ route: [] }]))).to.throw('spec.http[0].route');
  });
});
