import { RateLimitedError } from './errors.js';

// A token bucket per caller: `burst` requests at once, refilled at `perSecond`. The map of
// buckets is bounded; a bucket left alone long enough to be full again carries no state and is
// the first to go.

export interface RateLimitConfig {
  perSecond: number;
  burst: number;
  /** Callers tracked at once. Default 10,000. */
  maxCallers?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly config: RateLimitConfig,
    private readonly now: () => number = Date.now,
  ) {
    if (!(config.perSecond > 0) || !(config.burst >= 1))
      throw new Error('rate limit: perSecond must be > 0 and burst >= 1');
  }

  /** Takes one token for `caller`, or throws RateLimitedError with the wait in Retry-After. */
  take(caller: string): void {
    const t = this.now();
    const b = this.buckets.get(caller) ?? { tokens: this.config.burst, at: t };
    const elapsed = Math.max(0, t - b.at) / 1000;
    b.tokens = Math.min(this.config.burst, b.tokens + elapsed * this.config.perSecond);
    b.at = t;
    this.buckets.delete(caller);
    this.buckets.set(caller, b);
    this.evict();
    if (b.tokens < 1) {
      const wait = Math.max(1, Math.ceil((1 - b.tokens) / this.config.perSecond));
      throw new RateLimitedError(`too many requests from ${caller}; retry in ${wait}s`, wait);
    }
    b.tokens -= 1;
  }

  private evict(): void {
    const max = this.config.maxCallers ?? 10_000;
    while (this.buckets.size > max) {
      const oldest = this.buckets.keys().next();
      if (oldest.done) return;
      this.buckets.delete(oldest.value);
    }
  }
}
