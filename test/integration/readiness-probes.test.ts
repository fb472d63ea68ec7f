import { expect } from 'chai';
import { createKubeClients } from '../../src/adapters/kubernetes/client.js';
import { runProbes } from '../../src/api/app.js';
import { controllerProbes } from '../../src/controller/probes.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import { kubeConfigFor } from '../support/kube.js';
import { freePort } from '../support/ports.js';
import { prometheusForSuite } from '../support/prometheus.js';

// /readyz is deep (DESIGN): it asks the API server, Prometheus and Unleash, and says which one
// does not answer.

describe('readiness probes', function () {
  this.timeout(60_000);
  const prometheus = prometheusForSuite(() => []);
  let api: ApiServer | undefined;

  before(async () => {
    api = await startApiServer({ port: 0 });
  });
  after(async () => {
    await api?.close();
  });

  it('reports every dependency ok when each answers', async () => {
    const clients = createKubeClients(kubeConfigFor(api?.url ?? ''));
    const checks = await runProbes(
      controllerProbes({
        clients,
        prometheusUrl: prometheus.current.url,
        leadership: () => true,
      }),
      5000,
    );
    expect(checks).to.deep.equal({ apiserver: 'ok', leadership: 'ok', prometheus: 'ok' });
  });

  it('names the dependency that does not answer, and the others stay ok', async () => {
    const clients = createKubeClients(kubeConfigFor(api?.url ?? ''));
    const dead = `http://127.0.0.1:${await freePort()}`;
    const checks = await runProbes(
      controllerProbes({
        clients,
        prometheusUrl: prometheus.current.url,
        unleashUrl: dead,
        leadership: () => undefined,
      }),
      5000,
    );
    expect(checks.apiserver).to.equal('ok');
    expect(checks.prometheus).to.equal('ok');
    expect(checks.unleash).to.not.equal('ok');
    expect(checks.leadership).to.contain('no leader election');
    const down = createKubeClients(kubeConfigFor(dead));
    const apiDown = await runProbes(
      controllerProbes({ clients: down, leadership: () => true }),
      3000,
    );
    expect(apiDown.apiserver).to.not.equal('ok');
  });
});
