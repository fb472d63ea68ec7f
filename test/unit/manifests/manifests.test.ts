import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse, parseAllDocuments } from 'yaml';
import { loadYamlDocs, repoPath, type YamlDoc } from './helpers.js';

interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: Array<{ name: string; containerPort: number }>;
  livenessProbe?: { httpGet: { path: string; port: string | number } };
  readinessProbe?: { httpGet: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}
interface PodSpec {
  serviceAccountName: string;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
}

const meta = (d: YamlDoc) => d.doc.metadata as Meta;
const kindOf = (d: YamlDoc) => d.doc.kind as string;

describe('manifests/', () => {
  let docs: YamlDoc[];
  const one = (kind: string): YamlDoc => {
    const found = docs.filter((d) => kindOf(d) === kind);
    expect(found, `exactly one ${kind}`).to.have.length(1);
    return found[0] as YamlDoc; // length asserted above
  };

  before(async () => {
    docs = await loadYamlDocs(repoPath('manifests'), true);
  });

  it('has a kustomization that lists every manifest, and only files that exist', async () => {
    const k = parse(await readFile(repoPath('manifests/kustomization.yaml'), 'utf8')) as {
      resources: string[];
    };
    for (const r of k.resources) await access(repoPath('manifests', r));
    const files = new Set(docs.map((d) => path.relative(repoPath('manifests'), d.file)));
    expect([...new Set(k.resources)].sort()).to.deep.equal([...files].sort());
  });

  it('builds with kubectl kustomize (what kubectl apply -k reads), offline', async function () {
    this.timeout(30_000);
    const dir = await mkdtemp(path.join(tmpdir(), 'sluice-kustomize-'));
    try {
      // An empty kubeconfig of our own: kustomize needs no server, and no default config is read.
      const kubeconfig = path.join(dir, 'kubeconfig');
      await writeFile(kubeconfig, '');
      const { stdout } = await promisify(execFile)(
        'kubectl',
        ['kustomize', repoPath('manifests')],
        {
          timeout: 20_000,
          maxBuffer: 16 * 1024 * 1024,
          env: { ...process.env, KUBECONFIG: kubeconfig },
        },
      );
      const built = parseAllDocuments(stdout).map((d) => d.toJS() as { kind: string });
      expect(built).to.have.length(docs.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('installs the namespace, RBAC, controller and the five CRDs', () => {
    const kinds = docs.map(kindOf).sort();
    expect(kinds).to.deep.equal(
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'CustomResourceDefinition',
        'CustomResourceDefinition',
        'CustomResourceDefinition',
        'CustomResourceDefinition',
        'CustomResourceDefinition',
        'Deployment',
        'Namespace',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
    const ns = meta(one('Namespace')).name;
    expect(ns).to.equal('sluice-system');
    for (const kind of ['ServiceAccount', 'Deployment', 'Service'])
      expect(meta(one(kind)).namespace, kind).to.equal(ns);
  });

  it('runs the controller as the ServiceAccount that the ClusterRoleBinding binds to the ClusterRole', () => {
    const sa = meta(one('ServiceAccount'));
    const pod = (one('Deployment').doc.spec as { template: { spec: PodSpec } }).template.spec;
    expect(pod.serviceAccountName).to.equal(sa.name);
    const binding = one('ClusterRoleBinding').doc as {
      roleRef: { kind: string; name: string };
      subjects: Array<{ kind: string; name: string; namespace: string }>;
    };
    expect(binding.roleRef).to.include({
      kind: 'ClusterRole',
      name: meta(one('ClusterRole')).name,
    });
    expect(binding.subjects).to.deep.include({
      kind: 'ServiceAccount',
      name: sa.name,
      namespace: sa.namespace,
    });
  });

  it('grants exactly the verbs the controller needs', () => {
    const rules = (one('ClusterRole').doc as { rules: Rule[] }).rules;
    const granted = new Map<string, Set<string>>();
    for (const r of rules)
      for (const g of r.apiGroups)
        for (const res of r.resources) {
          const key = `${g || 'core'}/${res}`;
          const set = granted.get(key) ?? new Set<string>();
          r.verbs.forEach((v) => set.add(v));
          granted.set(key, set);
        }
    const read = ['get', 'list', 'watch'];
    const expected: Record<string, string[]> = {
      // patch: the control API records commands as annotations on the Rollout.
      'sluice.dev/rollouts': [...read, 'patch'],
      'sluice.dev/analysistemplates': read,
      'sluice.dev/clusteranalysistemplates': read,
      'sluice.dev/rollouts/status': ['get', 'update', 'patch'],
      'sluice.dev/analysisruns': [...read, 'create', 'update', 'patch', 'delete'],
      'sluice.dev/analysisruns/status': [...read, 'create', 'update', 'patch', 'delete'],
      // The SLO evaluator reads SLOs and writes their budget and burn rates to status.
      'sluice.dev/servicelevelobjectives': read,
      'sluice.dev/servicelevelobjectives/status': ['get', 'update', 'patch'],
      'apps/deployments': [...read, 'create', 'update', 'patch'],
      'core/services': [...read, 'create', 'update', 'patch'],
      'networking.istio.io/virtualservices': [...read, 'update', 'patch'],
      'core/events': ['create', 'patch'],
      'events.k8s.io/events': ['create', 'patch'],
      'coordination.k8s.io/leases': ['get', 'create', 'update'],
      'core/secrets': ['get'],
    };
    const actual = Object.fromEntries([...granted].map(([k, v]) => [k, [...v].sort()]));
    expect(actual).to.deep.equal(
      Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, [...v].sort()])),
    );
    expect(JSON.stringify(rules)).not.to.contain('*');
  });

  it('runs the controller non-root on a read-only root filesystem with probes and resources', () => {
    const pod = (one('Deployment').doc.spec as { template: { spec: PodSpec } }).template.spec;
    const [c] = pod.containers;
    if (!c) throw new Error('the controller Deployment has no container');
    expect(pod.securityContext).to.include({ runAsNonRoot: true, runAsUser: 1000 });
    expect(c.securityContext).to.include({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(c.ports).to.deep.include({ name: 'http', containerPort: 8080 });
    expect(c.livenessProbe?.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe?.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
    expect(c.resources?.requests).to.have.keys('cpu', 'memory');
    expect(c.resources?.limits).to.have.property('memory');
    expect(c.args?.some((a) => a.startsWith('--prometheus-url='))).to.equal(true);
  });

  it('passes the controller only options that src/controller/main.ts declares', async () => {
    const main = await readFile(repoPath('src/controller/main.ts'), 'utf8');
    const declared = new Set([...main.matchAll(/\.option\('(--[a-z-]+)/g)].map((m) => m[1]));
    expect(declared.size, 'options found in main.ts').to.be.greaterThan(0);
    const pod = (one('Deployment').doc.spec as { template: { spec: PodSpec } }).template.spec;
    const flags = (pod.containers[0]?.args ?? []).map((a) => a.split('=')[0]);
    expect(flags.filter((f) => !declared.has(f))).to.deep.equal([]);
  });

  it('exposes the controller port through a Service that selects the controller pods', () => {
    const svc = one('Service').doc as {
      spec: {
        selector: Record<string, string>;
        ports: Array<{ port: number; targetPort: string }>;
      };
    };
    const podLabels = (
      one('Deployment').doc.spec as { template: { metadata: { labels: Record<string, string> } } }
    ).template.metadata.labels;
    expect(podLabels).to.include(svc.spec.selector);
    expect(svc.spec.ports).to.deep.include({ name: 'http', port: 8080, targetPort: 'http' });
  });
});

describe('Dockerfile', () => {
  it('builds in node:20-slim and runs non-root with the controller entrypoint', async () => {
    const text = await readFile(repoPath('Dockerfile'), 'utf8');
    const from = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(from.length).to.be.greaterThan(1);
    for (const image of from) expect(image).to.equal('node:20-slim');
    expect(text).to.match(/RUN npm ci\b/);
    expect(text).to.contain('RUN npm run build');
    expect(text).to.match(/npm ci --omit=dev/);
    const user = [...text.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(user.at(-1)).to.match(/^1000(:1000)?$/);
    expect(text.trimEnd().split('\n').at(-1)).to.equal(
      'ENTRYPOINT ["node", "dist/controller/main.js"]',
    );
    const ignore = await readFile(repoPath('.dockerignore'), 'utf8');
    expect(ignore.split('\n')).to.include.members(['node_modules', '.git', 'dist']);
  });
});

describe('examples/', () => {
  let byKind: Map<string, Record<string, unknown>>;

  before(async () => {
    const docs = await loadYamlDocs(repoPath('examples'));
    byKind = new Map(
      docs
        // The canary example's three files; other examples (blue-green, flags) stand alone.
        .filter((d) =>
          ['rollout.yaml', 'deployment.yaml', 'virtualservice.yaml'].includes(
            path.relative(repoPath('examples'), d.file),
          ),
        )
        .map((d) => [kindOf(d), d.doc]),
    );
  });

  it('wire the Rollout to the Deployment and the VirtualService route it names', () => {
    const rollout = byKind.get('Rollout') as {
      metadata: Meta;
      spec: {
        targetRef: { name: string };
        trafficRouting: { istio: { virtualService: { name: string; routes: string[] } } };
      };
    };
    const deployment = byKind.get('Deployment') as { metadata: Meta };
    const vs = byKind.get('VirtualService') as {
      metadata: Meta;
      spec: {
        http: Array<{
          name: string;
          route: Array<{ destination: { host: string }; weight?: number }>;
        }>;
      };
    };
    expect(rollout.spec.targetRef.name).to.equal(deployment.metadata.name);
    expect(rollout.spec.trafficRouting.istio.virtualService).to.deep.equal({
      name: vs.metadata.name,
      routes: ['primary'],
    });
    for (const d of [rollout, deployment, vs]) expect(d.metadata.namespace).to.equal('demo');
    const primary = vs.spec.http.find((r) => r.name === 'primary');
    expect(primary?.route.map((r) => [r.destination.host, r.weight])).to.deep.equal([
      ['shop-primary', 100],
      ['shop-canary', 0],
    ]);
    expect(vs.spec.http.map((r) => r.name)).to.include('admin');
  });

  it('give the Deployment a selector that matches its pod template', () => {
    const d = byKind.get('Deployment') as {
      spec: {
        selector: { matchLabels: Record<string, string> };
        template: { metadata: { labels: Record<string, string> } };
      };
    };
    expect(d.spec.template.metadata.labels).to.include(d.spec.selector.matchLabels);
  });
});
