/** The outbox options every outbox shares, checked, with their defaults. */
import type { OutboxOptions, OverflowPolicy } from "./types.js";

/** MemoryOutbox's capacity when none is given: it lives in the process's memory. */
export const MEMORY_CAPACITY_BYTES = 64 * 1024 * 1024;
/** How long a finalized stream's state is kept before it is pruned, when none is given: 7 days. */
export const PRUNE_FINALIZED_AFTER_MS = 7 * 24 * 3600 * 1000;

export interface ResolvedOutboxOptions {
  capacityBytes: number;
  /** False when the capacity is the memory-sized default (a durable outbox then sizes it to its medium). */
  capacityGiven: boolean;
  overflow: OverflowPolicy;
  pruneFinalizedAfterMs: number;
}

/** Check the options (a RangeError naming the option and its value) and fill in the defaults. */
export function resolveOutboxOptions(options: OutboxOptions = {}): ResolvedOutboxOptions {
  const capacityBytes = options.capacityBytes ?? MEMORY_CAPACITY_BYTES;
  if (!(capacityBytes > 0)) throw new RangeError(`capacityBytes must be > 0, got ${capacityBytes}.`);
  const overflow = options.overflow ?? "wait";
  if (!["wait", "drop-oldest", "error"].includes(overflow)) {
    throw new RangeError(`overflow must be "wait", "drop-oldest" or "error", got ${JSON.stringify(overflow)}.`);
  }
  const pruneFinalizedAfterMs = options.pruneFinalizedAfterMs ?? PRUNE_FINALIZED_AFTER_MS;
  if (!(pruneFinalizedAfterMs >= 0)) throw new RangeError(`pruneFinalizedAfterMs must be a number of milliseconds ≥ 0, got ${pruneFinalizedAfterMs}.`);
  return { capacityBytes, capacityGiven: options.capacityBytes !== undefined, overflow, pruneFinalizedAfterMs };
}
