/**
 * The overflow policy once the outbox's capacity is reached (design §2): "wait" holds writers back
 * until acknowledgements free space (SpaceWaiters, telling "full" once per episode); "error" throws
 * OutboxFullError before storing anything (BaseOutbox.put); "drop-oldest" evicts the oldest pending
 * slices of other keys, never a claimed one (oldestToDrop).
 */
import { keyString, type SliceKey } from "../types.js";
import type { Ledger } from "./ledger.js";
import type { SliceMeta } from "./types.js";

/** Writers waiting for space (overflow "wait"). */
export class SpaceWaiters {
  #waiters: Array<() => void> = [];
  /** True while writers wait for space, so "full" is told once per episode. */
  #holding = false;

  /** Resolves once `full()` is false; `onFull` is called once per episode of waiting. */
  async wait(full: () => boolean, onFull: () => void): Promise<void> {
    while (full()) {
      if (!this.#holding) {
        // Once per episode: writers are held back until acknowledgements free space.
        this.#holding = true;
        onFull();
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    this.#holding = false;
  }

  /** Space was freed: every waiter looks again. */
  wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * "drop-oldest": the oldest pending slices whose eviction lets `delta` more bytes fit in `capacityBytes`,
 * leaving out the keys being put (`incoming`) and claimed ones (they may already be on the server).
 */
export function oldestToDrop(ledger: Ledger, incoming: SliceKey[], delta: number, capacityBytes: number): SliceMeta[] {
  const dropped: SliceMeta[] = [];
  const keys = new Set(incoming.map(keyString));
  let used = ledger.usedBytes;
  for (const meta of ledger.index.oldestFirst()) {
    if (used + delta <= capacityBytes) break;
    if (keys.has(keyString(meta)) || ledger.isClaimed(meta)) continue;
    dropped.push(meta);
    used -= meta.bytes;
  }
  return dropped;
}
