import { expect } from 'chai';
import request from 'supertest';
import { KubeSloBackend } from '../../src/api/slo-backend.js';
import type { SloView } from '../../src/api/slo-view.js';
import { OPENAPI_DOCUMENT } from '../../src/api/openapi.js';
import { SLO_NS, startSloSandbox, type SloSandbox } from './slo-fixture.js';
import { bearer, makeTestApi, type TestApi } from './support.js';

describe('SLO routes on the sandbox API server', () => {
  let sandbox: SloSandbox;
  let t: TestApi;

  before(async () => {
    sandbox = await startSloSandbox();
    t = await makeTestApi({ slos: new KubeSloBackend(sandbox.kubeConfig, { timeoutMs: 5000 }) });
  });
  after(async () => {
    await t?.close();
    await sandbox?.close();
  });

  it('lists the SLOs of a namespace with budget, burn per window and firing alerts to a viewer', async () => {
    const res = await request(t.app)
      .get(`/api/v1/namespaces/${SLO_NS}/slos`)
      .set('Authorization', bearer('viewer'));
    expect(res.status).to.equal(200);
    const items = (res.body as { items: SloView[] }).items;
    expect(items.map((i) => i.name).sort()).to.deep.equal(['shop-availability', 'shop-new']);
    const evaluated = items.find((i) => i.name === 'shop-availability');
    expect(evaluated?.window).to.equal('28d');
    expect(evaluated?.status).to.deep.include({
      errorBudgetRemaining: 0.4,
      evaluatedAt: '2026-12-04T12:00:00.000Z',
      alertSeverity: 'page',
    });
    // Every window is present; the ones without data are null.
    expect(evaluated?.status.burnRates).to.deep.equal({
      '28d': 0.6,
      '5m': 20,
      '30m': null,
      '1h': 15,
      '6h': null,
      '3d': 0.5,
    });
    expect(evaluated?.status.firingAlerts[0]).to.include({ severity: 'page', longWindow: '1h' });
  });

  it('filters the list by service, and refuses a malformed service with 400 naming the field', async () => {
    const get = (q: string) =>
      request(t.app)
        .get(`/api/v1/namespaces/${SLO_NS}/slos${q}`)
        .set('Authorization', bearer('viewer'));
    expect(((await get('?service=shop')).body as { items: SloView[] }).items).to.have.length(2);
    expect(((await get('?service=cart')).body as { items: SloView[] }).items).to.have.length(0);
    const bad = await get('?service=Not%20A%20Name');
    expect(bad.status).to.equal(400);
    expect(bad.body.error.details.field).to.equal('query.service');
  });

  it('shows an SLO not evaluated yet with nulls, not zeros', async () => {
    const res = await request(t.app)
      .get(`/api/v1/namespaces/${SLO_NS}/slos/shop-new`)
      .set('Authorization', bearer('viewer'));
    expect(res.status).to.equal(200);
    const view = res.body as SloView;
    expect(view.objective).to.equal(99.99);
    expect(view.status.errorBudgetRemaining).to.equal(null);
    expect(view.status.evaluatedAt).to.equal(null);
    expect(Object.values(view.status.burnRates).every((v) => v === null)).to.equal(true);
  });

  it('answers 404 naming the SLO that is missing', async () => {
    const res = await request(t.app)
      .get(`/api/v1/namespaces/${SLO_NS}/slos/nope`)
      .set('Authorization', bearer('viewer'));
    expect(res.status).to.equal(404);
    expect(res.body.error.message).to.contain(`ServiceLevelObjective ${SLO_NS}/nope not found`);
  });

  it('answers an empty list for a namespace without SLOs', async () => {
    const res = await request(t.app)
      .get('/api/v1/namespaces/empty/slos')
      .set('Authorization', bearer('operator'));
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ items: [] });
  });

  it('refuses a caller without a token and a malformed name', async () => {
    expect((await request(t.app).get(`/api/v1/namespaces/${SLO_NS}/slos`)).status).to.equal(401);
    const bad = await request(t.app)
      .get(`/api/v1/namespaces/${SLO_NS}/slos/Not_A_Name`)
      .set('Authorization', bearer('viewer'));
    expect(bad.status).to.equal(400);
  });

  it('answers 503 when the API has no SLO backend', async () => {
    const bare = await makeTestApi();
    try {
      const res = await request(bare.app)
        .get(`/api/v1/namespaces/${SLO_NS}/slos`)
        .set('Authorization', bearer('viewer'));
      expect(res.status).to.equal(503);
      expect(res.body.error.message).to.contain('SLOs are not configured');
    } finally {
      await bare.close();
    }
  });

  it('publishes both routes in the OpenAPI document', () => {
    const paths = Object.keys(OPENAPI_DOCUMENT.paths);
    expect(paths).to.include.members([
      '/api/v1/namespaces/{namespace}/slos',
      '/api/v1/namespaces/{namespace}/slos/{name}',
    ]);
    expect(OPENAPI_DOCUMENT.components.schemas).to.have.property('SloView');
  });
});
