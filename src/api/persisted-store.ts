import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GroupCommitWriter } from './group-commit.js';

// A bounded key → value map that survives restarts: every set() appends one JSON line and
// resolves once it is flushed (group commit); when the file holds twice the bound, it is rewritten with the newest entries.
// Used for Idempotency-Key answers and GitHub delivery ids.

interface Line<V> {
  k: string;
  v: V;
}

export interface PersistedStoreOptions {
  /** Entries kept; the oldest are forgotten first. Default 10,000. */
  maxEntries?: number;
}

export class PersistedStore<V> {
  private readonly entries = new Map<string, V>();
  private linesInFile = 0;
  private writer: GroupCommitWriter | undefined;

  private constructor(
    private readonly path: string,
    private readonly maxEntries: number,
  ) {}

  static async open<V>(
    path: string,
    options: PersistedStoreOptions = {},
  ): Promise<PersistedStore<V>> {
    const store = new PersistedStore<V>(path, options.maxEntries ?? 10_000);
    await mkdir(dirname(path), { recursive: true });
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const raw of text.split('\n')) {
      // A torn last line (crash mid-write) is skipped: its set() never returned.
      const line = parseLine<V>(raw);
      if (!line) continue;
      store.entries.delete(line.k);
      store.entries.set(line.k, line.v);
      store.linesInFile += 1;
    }
    store.trim();
    const file = await open(path, 'a');
    // End a torn line, so the next entry starts on a line of its own.
    if (text !== '' && !text.endsWith('\n')) await file.write('\n');
    store.writer = new GroupCommitWriter(file, (n) => store.afterFlush(n));
    return store;
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  /** Resolves once the entry is on disk. */
  set(key: string, value: V): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, value);
    this.trim();
    const line = JSON.stringify({ k: key, v: value } satisfies Line<V>) + '\n';
    if (!this.writer) return Promise.reject(new Error(`store ${this.path} is closed`));
    return this.writer.append(line);
  }

  async close(): Promise<void> {
    await this.writer?.close();
    this.writer = undefined;
  }

  private trim(): void {
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  private async afterFlush(lines: number): Promise<void> {
    this.linesInFile += lines;
    if (this.linesInFile > 2 * this.maxEntries) await this.compact();
  }

  private async compact(): Promise<void> {
    const tmp = `${this.path}.compact`;
    const body = [...this.entries].map(([k, v]) => JSON.stringify({ k, v }) + '\n').join('');
    await writeFile(tmp, body, { flush: true });
    await rename(tmp, this.path);
    await this.writer?.replaceFile(await open(this.path, 'a'));
    this.linesInFile = this.entries.size;
  }
}

function parseLine<V>(raw: string): Line<V> | undefined {
  if (raw.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null && typeof (value as Line<V>).k === 'string')
      return value as Line<V>;
  } catch {
    return undefined;
  }
  return undefined;
}
