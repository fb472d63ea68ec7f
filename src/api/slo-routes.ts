import { Router } from 'express';
import { requireRole } from './auth.js';
import { UnavailableError } from './errors.js';
import { validateNamespace, validateRef } from './openapi.js';
import { caller } from './rollout-routes.js';
import type { SloBackend } from './slo-backend.js';
import { summarizeSlo } from './slo-view.js';

// The SLO routes under /api/v1: each SLO's error budget, burn rate per window and firing
// alerts, as the controller's evaluator last wrote them. Viewer role; reads only.

export function sloRoutes(slos: SloBackend | undefined): Router {
  const router = Router();
  const backend = (): SloBackend => {
    if (!slos)
      throw new UnavailableError('SLOs are not configured on this API (no Kubernetes backend)');
    return slos;
  };

  router.get('/namespaces/:namespace/slos', async (req, res) => {
    requireRole(caller(res), 'viewer');
    const namespace = String(req.params.namespace);
    validateNamespace(namespace);
    const items = await backend().list(namespace);
    res.json({ items: items.map(summarizeSlo) });
  });

  router.get('/namespaces/:namespace/slos/:name', async (req, res) => {
    requireRole(caller(res), 'viewer');
    const namespace = String(req.params.namespace);
    const name = String(req.params.name);
    validateRef(namespace, name);
    res.json(summarizeSlo(await backend().get({ namespace, name })));
  });

  return router;
}
