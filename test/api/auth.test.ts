import { expect } from 'chai';
import request from 'supertest';
import { createAuthenticator, hashToken } from '../../src/api/auth.js';
import { RateLimiter } from '../../src/api/rate-limit.js';
import { RateLimitedError, UnauthorizedError } from '../../src/api/errors.js';
import {
  makeRollout,
  makeTestApi,
  startFakeIssuer,
  type FakeIssuer,
  type TestApi,
} from './support.js';

const AUD = 'sluice-api';

describe('auth', () => {
  let issuer: FakeIssuer;
  let t: TestApi;

  before(async () => {
    issuer = await startFakeIssuer(AUD);
  });
  after(async () => {
    await issuer.close();
  });
  beforeEach(async () => {
    t = await makeTestApi({
      auth: {
        jwt: {
          issuer: issuer.issuer,
          audience: AUD,
          jwksUrl: issuer.jwksUrl,
          groupRoles: { 'release-managers': 'operator', sre: 'admin' },
          subjectRoles: { 'robot-1': 'viewer' },
        },
      },
    });
    t.backend.put(makeRollout('checkout', 'Progressing', 1));
  });
  afterEach(async () => {
    await t.close();
  });

  const path = '/api/v1/namespaces/shop/rollouts/checkout';

  it('accepts a JWT from the issuer and maps the role claim', async () => {
    const token = await issuer.sign({ sub: 'alice', sluice_role: 'viewer' });
    const res = await request(t.app).get(path).set('Authorization', `Bearer ${token}`);
    expect(res.status).to.equal(200);
    const cmd = await request(t.app).post(`${path}/pause`).set('Authorization', `Bearer ${token}`);
    expect(cmd.status).to.equal(403);
    expect(cmd.body.error.message).to.contain('alice has role viewer');
  });

  it('maps groups to roles and records the caller as the command author', async () => {
    const token = await issuer.sign({ sub: 'bob', groups: ['devs', 'release-managers'] });
    const res = await request(t.app).post(`${path}/pause`).set('Authorization', `Bearer ${token}`);
    expect(res.status).to.equal(202);
    const value =
      t.backend.rollouts.get('shop/checkout')?.metadata.annotations?.['sluice.dev/pause'];
    expect(JSON.parse(value ?? '{}').by).to.equal('bob');
  });

  it('maps a subject to a role from configuration', async () => {
    const token = await issuer.sign({ sub: 'robot-1' });
    expect(
      (await request(t.app).get(path).set('Authorization', `Bearer ${token}`)).status,
    ).to.equal(200);
  });

  it('answers 403, not 401, to a valid token that carries no role', async () => {
    const token = await issuer.sign({ sub: 'mallory', groups: ['nobody'] });
    const res = await request(t.app).get(path).set('Authorization', `Bearer ${token}`);
    expect(res.status).to.equal(403);
  });

  const bad: Array<[string, () => Promise<string>]> = [
    [
      'an expired token',
      () => issuer.sign({ sub: 'a', sluice_role: 'admin' }, { expiresIn: '-10m' }),
    ],
    [
      'another issuer',
      () => issuer.sign({ sub: 'a', sluice_role: 'admin' }, { issuer: 'https://evil' }),
    ],
    [
      'another audience',
      () => issuer.sign({ sub: 'a', sluice_role: 'admin' }, { audience: 'other' }),
    ],
    [
      'a tampered payload',
      async () => {
        const [h, , s] = (await issuer.sign({ sub: 'a', sluice_role: 'viewer' })).split('.');
        const p = Buffer.from(
          JSON.stringify({
            sub: 'a',
            sluice_role: 'admin',
            exp: 9e9,
            iss: issuer.issuer,
            aud: AUD,
          }),
        ).toString('base64url');
        return `${h}.${p}.${s}`;
      },
    ],
    [
      'an unsigned token',
      async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.`,
    ],
  ];
  for (const [what, make] of bad)
    it(`answers 401 with WWW-Authenticate to ${what}`, async () => {
      const res = await request(t.app)
        .get(path)
        .set('Authorization', `Bearer ${await make()}`);
      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.match(/^Bearer /);
    });

  it('answers 401 to a malformed Authorization header', async () => {
    for (const h of ['Basic YTpi', 'Bearer', 'Bearer a b'])
      expect((await request(t.app).get(path).set('Authorization', h)).status).to.equal(401);
  });

  it('accepts a static token only through its hash', async () => {
    const auth = createAuthenticator({
      staticTokens: [{ sha256: hashToken('s3cret-token'), subject: 'ci', role: 'operator' }],
    });
    expect(await auth.authenticate('Bearer s3cret-token')).to.deep.equal({
      subject: 'ci',
      role: 'operator',
      via: 'token',
    });
    let err: unknown;
    try {
      await auth.authenticate(`Bearer ${hashToken('s3cret-token')}`);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(UnauthorizedError);
  });

  it('rate limits each caller with a token bucket and says when to retry', async () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, () => now);
    for (let i = 0; i < 3; i++) limiter.take('a');
    expect(() => limiter.take('a')).to.throw(RateLimitedError);
    limiter.take('b');
    now += 500;
    limiter.take('a');
    expect(() => limiter.take('a')).to.throw(RateLimitedError);
  });

  it('answers 429 with Retry-After once a caller exceeds its rate', async () => {
    const limited = await makeTestApi({ rateLimit: { perSecond: 1, burst: 2 }, clock: () => 1000 });
    try {
      const get = () =>
        request(limited.app)
          .get('/api/v1/rollouts')
          .set('Authorization', 'Bearer viewer-token-0123456789abcdef');
      expect((await get()).status).to.equal(200);
      expect((await get()).status).to.equal(200);
      const res = await get();
      expect(res.status).to.equal(429);
      expect(res.headers['retry-after']).to.equal('1');
    } finally {
      await limited.close();
    }
  });

  it('limits failed attempts per address, so guessing tokens is throttled', async () => {
    const limited = await makeTestApi({ rateLimit: { perSecond: 1, burst: 2 }, clock: () => 1000 });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++)
        codes.push(
          (
            await request(limited.app)
              .get('/api/v1/rollouts')
              .set('Authorization', `Bearer guess${i}`)
          ).status,
        );
      expect(codes).to.deep.equal([401, 401, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
