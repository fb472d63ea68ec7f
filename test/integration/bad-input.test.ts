import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Rollout } from '../../src/domain/types.js';
import { Harness, type HarnessOptions } from '../support/harness.js';

// Bad input: each mistake is reported on the Rollout (phase Invalid, a condition naming the
// field) and as a Warning Event, and no traffic is moved.

const NS = 'demo';

interface Recorded {
  resource: string;
  verb: string;
  status: number;
}

async function invalid(opts: HarnessOptions): Promise<{ h: Harness; r: Rollout }> {
  const h = await Harness.start(opts);
  try {
    await h.settle();
    if (!opts.omit?.includes('deployment')) {
      await h.release('v2').catch(() => undefined);
      await h.settle();
    }
    // Read as stored: a Rollout that breaks the rules does not parse into the typed model.
    return { h, r: h.api.store.get('rollouts', NS, 'shop') as unknown as Rollout };
  } catch (err) {
    await h.stop();
    throw err;
  }
}

function events(h: Harness): Array<{ reason: string; message: string; type: string }> {
  return h.api.store.list('events', NS) as unknown as Array<{
    reason: string;
    message: string;
    type: string;
  }>;
}

function vsWrites(h: Harness): Recorded[] {
  return (h.api.writeLog as unknown as Recorded[]).filter(
    (w) => w.resource === 'virtualservices' && w.verb !== 'create' && w.status < 300,
  );
}

function template(name: string, spec: Record<string, unknown>): KubernetesObject {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name, namespace: NS },
    spec,
  } as KubernetesObject;
}

const CASES: Array<{ name: string; opts: HarnessOptions; field: RegExp; message: RegExp }> = [
  {
    name: 'a Rollout naming a missing Deployment',
    opts: { steps: [{ setWeight: 20 }], omit: ['deployment'] },
    field: /spec\.targetRef\.name/,
    message: /Deployment "shop" not found/,
  },
  {
    name: 'a missing VirtualService',
    opts: { steps: [{ setWeight: 20 }], omit: ['virtualService'] },
    field: /spec\.trafficRouting\.istio/,
    message: /VirtualService/,
  },
  {
    name: 'a route name the VirtualService does not have',
    opts: {
      steps: [{ setWeight: 20 }],
      http: [
        {
          name: 'main',
          route: [
            { destination: { host: 'shop-primary' }, weight: 100 },
            { destination: { host: 'shop-canary' }, weight: 0 },
          ],
        },
      ],
    },
    field: /spec\.trafficRouting\.istio/,
    message: /primary/,
  },
  {
    name: 'a route without the canary destination',
    opts: {
      steps: [{ setWeight: 20 }],
      http: [{ name: 'primary', route: [{ destination: { host: 'shop-primary' }, weight: 100 }] }],
    },
    field: /spec\.trafficRouting\.istio/,
    message: /no destination for the canary service shop-canary/,
  },
  {
    name: 'steps whose weights decrease',
    opts: { steps: [{ setWeight: 50 }, { setWeight: 20 }] },
    field: /spec\.strategy\.canary\.steps\[1\]/,
    message: /decrease|lower|less/i,
  },
  {
    name: 'an AnalysisTemplate with an unparseable condition',
    opts: {
      steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'bad' }] } }],
      objects: [
        template('bad', {
          metrics: [
            {
              name: 'sr',
              successCondition: 'result[0] >=',
              provider: { prometheus: { query: 'up' } },
            },
          ],
        }),
      ],
    },
    field: /spec\.strategy\.canary\.steps\[1\]\.analysis/,
    message: /sr|condition|expected/i,
  },
  {
    name: 'an AnalysisTemplate argument nobody supplies',
    opts: {
      steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'needs-arg' }] } }],
      objects: [
        template('needs-arg', {
          args: [{ name: 'service' }],
          metrics: [
            {
              name: 'sr',
              successCondition: 'result[0] >= 0.9',
              provider: { prometheus: { query: 'rate(x{svc="{{args.service}}"}[1m])' } },
            },
          ],
        }),
      ],
    },
    field: /spec\.strategy\.canary\.steps\[1\]\.analysis/,
    message: /service/,
  },
  {
    name: 'an AnalysisTemplate that does not exist',
    opts: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'nope' }] } }] },
    field: /spec\.strategy\.canary\.steps\[1\]\.analysis\.templates\[0\]\.templateName/,
    message: /AnalysisTemplate "nope" not found/,
  },
  {
    name: 'a header route whose header another route already matches on',
    opts: {
      steps: [
        { setWeight: 10 },
        { setHeaderRoute: { match: [{ header: 'x-debug', exact: '1' }] } },
      ],
      otherRoutes: [
        {
          name: 'debug',
          match: [{ headers: { 'x-debug': { exact: 'yes' } } }],
          route: [{ destination: { host: 'shop-primary' } }],
        },
      ],
    },
    field: /spec\.strategy\.canary\.steps\[1\]\.setHeaderRoute\.match\[0\]\.header/,
    message: /already matched by route "debug"/,
  },
  {
    name: 'a blue-green preview header that collides with an existing match',
    opts: {
      steps: [],
      blueGreen: { previewHeader: { header: 'x-preview', exact: 'true' } },
      otherRoutes: [
        {
          name: 'beta',
          match: [{ headers: { 'X-Preview': { exact: '1' } } }],
          route: [{ destination: { host: 'shop-primary' } }],
        },
      ],
    },
    field: /spec\.strategy\.blueGreen\.previewHeader\.header/,
    message: /already matched by route "beta"/,
  },
];

describe('bad input', function () {
  this.timeout(30_000);

  for (const c of CASES) {
    it(`reports ${c.name} in a condition and an Event, and moves no traffic`, async () => {
      const { h, r } = await invalid(c.opts);
      try {
        expect(r.status?.phase).to.equal('Invalid');
        const cond = r.status?.conditions?.find((x) => x.type === 'SpecValid');
        expect(cond?.status).to.equal('False');
        expect(cond?.reason).to.equal('InvalidSpec');
        expect(cond?.message).to.match(c.field);
        expect(cond?.message).to.match(c.message);
        const warning = events(h).find((e) => e.reason === 'InvalidSpec' && e.type === 'Warning');
        expect(warning?.message).to.match(c.field);
        expect(vsWrites(h)).to.deep.equal([]);
      } finally {
        await h.stop();
      }
    });
  }

  it('goes back to work once the spec is fixed', async () => {
    const { h } = await invalid({ steps: [{ setWeight: 20 }], omit: ['deployment'] });
    try {
      await h.create({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'shop', namespace: NS, labels: { app: 'shop' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'shop' } },
          template: {
            metadata: { labels: { app: 'shop' } },
            spec: { containers: [{ name: 'app', image: 'x' }] },
          },
        },
      } as KubernetesObject);
      await h.settle();
      const r = await h.rollout();
      expect(r.status?.phase).to.equal('Healthy');
      expect(r.status?.conditions?.find((x) => x.type === 'SpecValid')?.status).to.equal('True');
    } finally {
      await h.stop();
    }
  });

  it('treats an unreachable Prometheus as Errors and never advances on them', async () => {
    const h = await Harness.start({
      steps: [
        { setWeight: 20 },
        { analysis: { templates: [{ templateName: 'sr' }] } },
        { setWeight: 50 },
      ],
      prometheusUrl: 'http://127.0.0.1:9',
      objects: [
        template('sr', {
          metrics: [
            {
              name: 'sr',
              interval: '10s',
              count: 2,
              successCondition: 'result[0] >= 0.9',
              provider: { prometheus: { query: 'up' } },
            },
          ],
        }),
      ],
    });
    try {
      await h.settle();
      await h.release('v2');
      for (let i = 0; i < 4; i++) {
        await h.settle();
        const r = await h.rollout();
        expect(h.routeWeights()).to.deep.equal([80, 20]);
        expect(r.status?.currentStepIndex).to.equal(1);
        expect(r.status?.lastMeasurements?.[0]?.phase).to.equal('Error');
        expect(r.status?.lastMeasurements?.[0]?.message).to.match(/ECONNREFUSED|refused|connect/i);
        h.clock.advance(10_000);
      }
      await h.settle();
      const after = await h.rollout();
      expect(after.status?.phase).to.equal('Aborted');
      expect(after.status?.message).to.match(/consecutive errors/);
      expect(h.routeWeights()).to.deep.equal([100, 0]);
    } finally {
      await h.stop();
    }
  });
});
