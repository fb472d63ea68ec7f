import { Router } from 'express';
import { requireRole } from './auth.js';
import { BadRequestError, UnavailableError } from './errors.js';
import { validateNamespace, validateRef } from './openapi.js';
import { caller } from './rollout-routes.js';
import type { SloBackend } from './slo-backend.js';
import { summarizeSlo } from './slo-view.js';

// The SLO routes under /api/v1: each SLO's error budget, burn rate per window and firing
// alerts, as the controller's evaluator last wrote them. Viewer role; reads only.

/** `?service=shop`: only that service's SLOs. */
function serviceFilter(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(raw))
    throw new BadRequestError('service must be one service name', {
      details: { field: 'query.service' },
    });
  return raw;
}

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
    const service = serviceFilter(req.query.service);
    const items = await backend().list(namespace);
    res.json({
      items: items
        .filter((s) => service === undefined || s.spec.service === service)
        .map(summarizeSlo),
    });
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
