// Writes manifests/crds/*.yaml from the schemas in src/adapters/kubernetes/crd-schemas.ts.
// Run: npx tsx scripts/gen-crds.ts   (test/unit/manifests/crds.test.ts fails when they drift)
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import {
  ANALYSIS_RUN_SCHEMA,
  ANALYSIS_TEMPLATE_SCHEMA,
  CLUSTER_ANALYSIS_TEMPLATE_SCHEMA,
  ROLLOUT_SCHEMA,
  SLO_SCHEMA,
  type JsonSchema,
} from '../src/adapters/kubernetes/crd-schemas.js';
import { GROUP, VERSION } from '../src/domain/types.js';

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
}

interface CrdInput {
  file: string;
  kind: string;
  plural: string;
  shortName: string;
  scope: 'Namespaced' | 'Cluster';
  schema: JsonSchema;
  status: boolean;
  columns: PrinterColumn[];
}

const AGE: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the resource was created.',
};

export const CRD_INPUTS: readonly CrdInput[] = [
  {
    file: 'rollouts.yaml',
    kind: 'Rollout',
    plural: 'rollouts',
    shortName: 'ro',
    scope: 'Namespaced',
    schema: ROLLOUT_SCHEMA,
    status: true,
    columns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Rollout phase.' },
      {
        name: 'Step',
        type: 'integer',
        jsonPath: '.status.currentStepIndex',
        description: 'Current canary step index.',
      },
      {
        name: 'Canary Weight',
        type: 'integer',
        jsonPath: '.status.weights.canary',
        description: 'Share of traffic sent to the candidate.',
      },
      {
        name: 'Stable',
        type: 'string',
        jsonPath: '.status.stableRevision',
        description: 'Revision of the stable version.',
      },
      {
        name: 'Candidate',
        type: 'string',
        jsonPath: '.status.canaryRevision',
        description: 'Revision being rolled out.',
      },
      AGE,
    ],
  },
  {
    file: 'analysistemplates.yaml',
    kind: 'AnalysisTemplate',
    plural: 'analysistemplates',
    shortName: 'at',
    scope: 'Namespaced',
    schema: ANALYSIS_TEMPLATE_SCHEMA,
    status: false,
    columns: [AGE],
  },
  {
    file: 'clusteranalysistemplates.yaml',
    kind: 'ClusterAnalysisTemplate',
    plural: 'clusteranalysistemplates',
    shortName: 'cat',
    scope: 'Cluster',
    schema: CLUSTER_ANALYSIS_TEMPLATE_SCHEMA,
    status: false,
    columns: [AGE],
  },
  {
    file: 'analysisruns.yaml',
    kind: 'AnalysisRun',
    plural: 'analysisruns',
    shortName: 'ar',
    scope: 'Namespaced',
    schema: ANALYSIS_RUN_SCHEMA,
    status: true,
    columns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Run phase.' },
      { name: 'Rollout', type: 'string', jsonPath: '.spec.rollout', description: 'Rollout.' },
      { name: 'Step', type: 'integer', jsonPath: '.spec.step', description: 'Canary step.' },
      AGE,
    ],
  },
  {
    file: 'servicelevelobjectives.yaml',
    kind: 'ServiceLevelObjective',
    plural: 'servicelevelobjectives',
    shortName: 'slo',
    scope: 'Namespaced',
    schema: SLO_SCHEMA,
    status: true,
    columns: [
      { name: 'Service', type: 'string', jsonPath: '.spec.service', description: 'Service.' },
      {
        name: 'Objective',
        type: 'number',
        jsonPath: '.spec.objective',
        description: 'Percent of events that must be good.',
      },
      {
        name: 'Budget Left',
        type: 'number',
        jsonPath: '.status.errorBudgetRemaining',
        description: 'Share of the error budget left (1 = untouched, negative = overspent).',
      },
      {
        name: 'Burn 1h',
        type: 'number',
        jsonPath: '.status.burnRates.1h',
        description: 'Burn rate over the last hour (1 = spends the budget exactly in the window).',
      },
      AGE,
    ],
  },
];

/** The CustomResourceDefinition object for one kind. */
export function buildCrd(input: CrdInput): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${input.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'sluice', 'app.kubernetes.io/part-of': 'sluice' },
    },
    spec: {
      group: GROUP,
      scope: input.scope,
      names: {
        kind: input.kind,
        listKind: `${input.kind}List`,
        plural: input.plural,
        singular: input.kind.toLowerCase(),
        shortNames: [input.shortName],
        categories: ['sluice'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: input.schema },
          ...(input.status ? { subresources: { status: {} } } : {}),
          additionalPrinterColumns: input.columns,
        },
      ],
    },
  };
}

const HEADER =
  '# Generated by scripts/gen-crds.ts from src/adapters/kubernetes/crd-schemas.ts.\n# Do not edit; run `npx tsx scripts/gen-crds.ts`.\n';

/** File name → YAML text, exactly as committed under manifests/crds/. */
export function renderCrds(): Map<string, string> {
  const out = new Map<string, string>();
  for (const input of CRD_INPUTS) {
    out.set(
      input.file,
      HEADER + stringify(buildCrd(input), { lineWidth: 0, aliasDuplicateObjects: false }),
    );
  }
  return out;
}

export const CRD_DIR = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'manifests',
  'crds',
);

async function main(): Promise<void> {
  await mkdir(CRD_DIR, { recursive: true });
  for (const [file, text] of renderCrds()) {
    await writeFile(path.join(CRD_DIR, file), text);
    process.stdout.write(`wrote manifests/crds/${file}\n`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`gen-crds: ${String(err)}\n`);
    process.exitCode = 1;
  });
}
