import { createHash } from 'node:crypto';
import { BadRequestError } from './errors.js';
import type { PersistedStore } from './persisted-store.js';

// Idempotency-Key: the first 2xx answer to a key is kept (on disk, bounded) and given again to
// every retry with that key, without running the command again. Keys are per caller, and a key
// reused for a different request is refused rather than silently answered with another's result.

export interface StoredAnswer {
  fingerprint: string;
  status: number;
  body: unknown;
}

export interface Answer {
  status: number;
  body: unknown;
  replayed: boolean;
}

export class IdempotencyCache {
  private readonly inFlight = new Map<string, Promise<Answer & { fingerprint: string }>>();

  constructor(private readonly store: PersistedStore<StoredAnswer>) {}

  async run(
    scope: { caller: string; key: string; request: string },
    fn: () => Promise<{ status: number; body: unknown }>,
  ): Promise<Answer> {
    const id = `${scope.caller}\u0000${scope.key}`;
    const fingerprint = createHash('sha256').update(scope.request).digest('hex');
    const stored = this.store.get(id);
    if (stored) return replay(stored, fingerprint);
    const running = this.inFlight.get(id);
    if (running) {
      const first = await running;
      return replay(
        { fingerprint: first.fingerprint, status: first.status, body: first.body },
        fingerprint,
      );
    }
    const p = (async (): Promise<Answer & { fingerprint: string }> => {
      const answer = await fn();
      if (answer.status >= 200 && answer.status < 300)
        await this.store.set(id, { fingerprint, status: answer.status, body: answer.body });
      return { ...answer, replayed: false, fingerprint };
    })();
    this.inFlight.set(id, p);
    try {
      const { fingerprint: _f, ...answer } = await p;
      return answer;
    } finally {
      this.inFlight.delete(id);
    }
  }
}

function replay(stored: StoredAnswer, fingerprint: string): Answer {
  if (stored.fingerprint !== fingerprint)
    throw new BadRequestError('this Idempotency-Key was already used for a different request', {
      details: { field: 'header.Idempotency-Key' },
    });
  return { status: stored.status, body: stored.body, replayed: true };
}
