import type { Command } from '../domain/commands.js';
import type { Rollout } from '../domain/types.js';

// What the API needs from wherever Rollouts live. The Kubernetes implementation is in
// kube-backend.ts; tests may use an in-process double with the same semantics.

export interface RolloutRef {
  namespace: string;
  name: string;
}

/** What to do with a command, decided on the Rollout as it was just read. */
export type CommandDecision =
  /** Write the command; `clear` removes other pending commands in the same write. */
  | { action: 'write'; clear?: Command['kind'][]; bindStep?: number }
  /** The same command is already pending under `pendingId`: nothing to write. */
  | { action: 'pending'; pendingId: string };

export interface RecordOptions {
  /**
   * Called on every read before a write, so a command is re-checked after a conflict.
   * Throws (a typed error) to refuse the command; no write happens then.
   */
  decide: (current: Rollout) => CommandDecision;
  /** Fail with a conflict instead of re-reading when the Rollout moved past this version. */
  expectedResourceVersion?: string;
  signal?: AbortSignal;
}

export interface RecordResult {
  /** The id that is pending now: the new command's, or the one already pending. */
  requestId: string;
  written: boolean;
  rollout: Rollout;
}

export interface ImageUpdate {
  deployment: string;
  container: string;
  image: string;
  /** False when the container already ran this image (nothing written). */
  changed: boolean;
}

export interface RolloutBackend {
  list(namespace: string | undefined, signal?: AbortSignal): Promise<Rollout[]>;
  /** Throws NotFoundError. */
  get(ref: RolloutRef, signal?: AbortSignal): Promise<Rollout>;
  recordCommand(ref: RolloutRef, command: Command, options: RecordOptions): Promise<RecordResult>;
  /** Sets the image of one container of the Deployment named by the Rollout's spec.targetRef. */
  setTargetImage(
    ref: RolloutRef,
    container: string,
    image: string,
    signal?: AbortSignal,
  ): Promise<ImageUpdate>;
}
