// VirtualService validation as Istio's validating webhook applies it to the fields Sluice and
// the weighted proxy use: hosts, http routes, destinations and their weights.
import { isObject, type Cause, type KubeObject } from './types.js';

const WEBHOOK =
  'admission webhook "validation.istio.io" denied the request: configuration is invalid';

function cause(field: string, message: string): Cause {
  return { reason: 'FieldValueInvalid', message: `${WEBHOOK}: ${message}`, field };
}

function validateRoute(route: unknown, path: string, causes: Cause[]): void {
  if (!Array.isArray(route) || route.length === 0) {
    causes.push(cause(path, 'http route is required'));
    return;
  }
  let total = 0;
  route.forEach((dest, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(dest)) {
      causes.push(cause(at, 'destination is required'));
      return;
    }
    const target = dest['destination'];
    if (!isObject(target) || typeof target['host'] !== 'string' || target['host'] === '') {
      causes.push(cause(`${at}.destination.host`, 'destination must have a host'));
    }
    const weight = dest['weight'];
    if (weight === undefined) return;
    if (typeof weight !== 'number' || !Number.isInteger(weight)) {
      causes.push(cause(`${at}.weight`, `weight ${JSON.stringify(weight)} must be an integer`));
    } else if (weight < 0) {
      causes.push(cause(`${at}.weight`, `weight ${weight} < 0`));
    } else {
      total += weight;
    }
  });
  if (route.length > 1 && total === 0) causes.push(cause(path, 'total destination weight = 0'));
}

export function validateVirtualService(obj: KubeObject): Cause[] {
  const causes: Cause[] = [];
  const spec = obj['spec'];
  if (!isObject(spec)) return [cause('spec', 'spec is required')];
  const hosts = spec['hosts'];
  if (!Array.isArray(hosts) || hosts.length === 0) {
    causes.push(cause('spec.hosts', 'virtual service must have at least one host'));
  } else {
    hosts.forEach((h, i) => {
      if (typeof h !== 'string' || h === '')
        causes.push(cause(`spec.hosts[${i}]`, 'host must be a non-empty string'));
    });
  }
  const http = spec['http'];
  if (http !== undefined && !Array.isArray(http))
    causes.push(cause('spec.http', 'http must be a list'));
  if (Array.isArray(http)) {
    http.forEach((h, i) => {
      const at = `spec.http[${i}]`;
      if (!isObject(h)) {
        causes.push(cause(at, 'http route must be an object'));
        return;
      }
      if (h['redirect'] === undefined && h['directResponse'] === undefined) {
        validateRoute(h['route'], `${at}.route`, causes);
      }
    });
  }
  return causes;
}
