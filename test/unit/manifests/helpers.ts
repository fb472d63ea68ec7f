import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function repoPath(...parts: string[]): string {
  return path.join(REPO_ROOT, ...parts);
}

export interface YamlDoc {
  file: string;
  doc: Record<string, unknown>;
}

/** Every YAML document of every *.yaml file directly in `dir` (and in its subdirectories if `deep`). */
export async function loadYamlDocs(dir: string, deep = false): Promise<YamlDoc[]> {
  const out: YamlDoc[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (deep) out.push(...(await loadYamlDocs(full, true)));
      continue;
    }
    if (!entry.name.endsWith('.yaml') || entry.name === 'kustomization.yaml') continue;
    for (const parsed of parseAllDocuments(await readFile(full, 'utf8'))) {
      if (parsed.errors.length > 0) throw new Error(`${full}: ${parsed.errors[0]?.message}`);
      const doc: unknown = parsed.toJS();
      if (doc !== null && typeof doc === 'object')
        out.push({ file: full, doc: doc as Record<string, unknown> });
    }
  }
  return out;
}
