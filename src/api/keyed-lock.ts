// Runs work for one key at a time, in arrival order. The API holds it per rollout around
// "record the command, then audit it", so within one replica the audit log's order is the
// order in which commands were written. Across replicas the resourceVersion in each audit
// record's details orders them.

export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const mine = before.then(work, work);
    const tail = mine.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await mine;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
