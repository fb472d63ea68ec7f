// A keyed work queue: a key is never processed by two workers at once, adding a key that is
// already waiting merges the two, and a delayed add keeps the earliest due time.

export interface QueueClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref?: () => void } | number;
  clearTimeout(handle: unknown): void;
}

export const realClock: QueueClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export type Worker = (key: string) => Promise<void>;

export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { due: number; handle: unknown }>();
  private running = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly worker: Worker,
    private readonly concurrency: number,
    private readonly clock: QueueClock = realClock,
    private readonly onError: (key: string, err: unknown) => void = () => undefined,
  ) {}

  add(key: string, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) return this.addLater(key, delayMs);
    const timer = this.timers.get(key);
    if (timer) {
      this.clock.clearTimeout(timer.handle);
      this.timers.delete(key);
    }
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.pump();
  }

  private addLater(key: string, delayMs: number): void {
    const due = this.clock.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.due <= due) return;
    if (existing) this.clock.clearTimeout(existing.handle);
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    if (typeof handle === 'object' && handle.unref) handle.unref();
    this.timers.set(key, { due, handle });
  }

  private pump(): void {
    while (!this.stopped && this.running < this.concurrency && this.ready.length > 0) {
      const key = this.ready.shift() as string;
      this.queued.delete(key);
      this.active.add(key);
      this.running++;
      void this.worker(key)
        .catch((err: unknown) => this.onError(key, err))
        .finally(() => {
          this.running--;
          this.active.delete(key);
          if (this.dirty.delete(key)) this.add(key);
          this.pump();
          if (this.running === 0 && this.ready.length === 0) this.notifyIdle();
        });
    }
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when nothing is running or ready (delayed keys may still be pending). */
  async idle(): Promise<void> {
    if (this.running === 0 && this.ready.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  pendingDelays(): Map<string, number> {
    return new Map([...this.timers].map(([k, v]) => [k, v.due]));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) this.clock.clearTimeout(t.handle);
    this.timers.clear();
    this.notifyIdle();
  }
}
