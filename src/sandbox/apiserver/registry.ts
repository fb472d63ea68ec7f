// The resources the server currently serves, built-in and from CRDs, looked up by URL parts.
import { versionPriority } from './crd.js';
import { resourceKey, type ResourceDef, type VersionDef } from './types.js';

export interface ResolvedResource {
  def: ResourceDef;
  version: VersionDef;
}

export class ResourceRegistry {
  private readonly defs = new Map<string, ResourceDef>();

  register(def: ResourceDef): void {
    this.defs.set(resourceKey(def), def);
  }

  unregister(key: string): void {
    this.defs.delete(key);
  }

  byKey(key: string): ResourceDef | undefined {
    return this.defs.get(key);
  }

  all(): ResourceDef[] {
    return [...this.defs.values()];
  }

  resolve(group: string, version: string, plural: string): ResolvedResource | undefined {
    const def = this.defs.get(group === '' ? plural : `${plural}.${group}`);
    const v = def?.versions.find((x) => x.name === version);
    return def && v ? { def, version: v } : undefined;
  }

  /** Finds a resource by plural, plural.group, singular, kind or short name (for test helpers). */
  find(name: string): ResourceDef | undefined {
    const direct = this.defs.get(name);
    if (direct) return direct;
    const lower = name.toLowerCase();
    return this.all().find(
      (d) =>
        d.plural === lower ||
        d.singular === lower ||
        d.kind.toLowerCase() === lower ||
        d.shortNames.includes(lower),
    );
  }

  /** Groups with their versions, preferred first; the core group is left out (served at /api). */
  groups(): { name: string; versions: string[] }[] {
    const out = new Map<string, string[]>();
    for (const def of this.defs.values()) {
      if (def.group === '') continue;
      const list = out.get(def.group) ?? [];
      for (const v of def.versions) if (!list.includes(v.name)) list.push(v.name);
      out.set(def.group, list);
    }
    return [...out.entries()].map(([name, versions]) => ({
      name,
      versions: versions.sort(versionPriority),
    }));
  }

  inGroupVersion(group: string, version: string): ResourceDef[] {
    return this.all().filter(
      (d) => d.group === group && d.versions.some((v) => v.name === version),
    );
  }
}
