import type { FileHandle } from 'node:fs/promises';

// Appends lines to a file and resolves each append only once its line is flushed to disk.
// Lines that arrive while a flush is running are written together and share the next
// fdatasync (group commit), so many concurrent callers cost one disk flush, not one each.

interface Pending {
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommitWriter {
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private file: FileHandle,
    /** Runs after each flushed batch, before the next one starts (e.g. to compact the file). */
    private readonly afterFlush?: (lines: number) => Promise<void>,
  ) {}

  /** `line` must end with "\n". Rejects for good once a write has failed. */
  append(line: string): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      this.flushing ??= this.drain();
    });
  }

  /** Swaps the file (after a compaction); only call from afterFlush. */
  async replaceFile(next: FileHandle): Promise<void> {
    const old = this.file;
    this.file = next;
    await old.close();
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.file.close();
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.file.write(batch.map((p) => p.line).join(''));
        await this.file.datasync();
      } catch (err) {
        // NOTE: after a failed write the file's tail is unknown; refuse everything after it.
        this.failure = new Error(`cannot write to disk: ${(err as Error).message}`);
        for (const p of [...batch, ...this.pending]) p.reject(this.failure);
        this.pending = [];
        break;
      }
      for (const p of batch) p.resolve();
      if (this.afterFlush) await this.afterFlush(batch.length).catch(() => undefined);
    }
    this.flushing = undefined;
  }
}
