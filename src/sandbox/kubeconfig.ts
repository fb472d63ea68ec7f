import { KubeConfig } from '@kubernetes/client-node';

/** A KubeConfig for the sandbox API server at `url` (plain HTTP on loopback, no credentials). */
export function kubeConfigFor(url: string, namespace = 'default'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sandbox', server: url, skipTLSVerify: true }],
    users: [{ name: 'sandbox' }],
    contexts: [{ name: 'sandbox', cluster: 'sandbox', user: 'sandbox', namespace }],
    currentContext: 'sandbox',
  });
  return kc;
}
