/**
 * Claims for sending (BaseOutbox's `claim`): keys are claimed in this process at once (in the ledger,
 * so "drop-oldest" never evicts them), then where other writers sharing the store see it (`claimShared`:
 * IndexedDB's Web Locks). A shared claim may linger after its release — a request in doubt — until the
 * time asked for passes or the outbox closes.
 */
import type { Claim } from "./interface.js";
import type { Ledger } from "./ledger.js";
import type { SliceMeta } from "./types.js";

export class Claims {
  readonly #ledger: Ledger;
  /** Shared claims (Web Locks) kept a while after their release: requests in doubt. */
  readonly #lingering = new Map<ReturnType<typeof setTimeout>, () => void>();
  #closing = false;

  constructor(ledger: Ledger) {
    this.#ledger = ledger;
  }

  /** Claim `metas` here at once, then through `claimShared`; keys claimed by someone else are left out. */
  async claim(metas: SliceMeta[], claimShared: (mine: SliceMeta[]) => Promise<Claim>): Promise<Claim> {
    const mine = this.#ledger.claim(metas);
    let shared: Claim;
    try {
      shared = await claimShared(mine);
    } catch (error) {
      this.#ledger.unclaim(mine);
      throw error;
    }
    const kept = new Set(shared.claimed);
    this.#ledger.unclaim(mine.filter((m) => !kept.has(m)));
    let released = false;
    return {
      claimed: shared.claimed,
      release: (sharedAfterMs = 0) => {
        if (released) return;
        released = true;
        this.#ledger.unclaim(shared.claimed);
        if (!(sharedAfterMs > 0) || this.#closing) {
          shared.release();
          return;
        }
        // Other writers wait a while longer (a request in doubt). Closing the outbox lets go at once.
        const timer = setTimeout(() => {
          this.#lingering.delete(timer);
          shared.release();
        }, sharedAfterMs);
        (timer as { unref?: () => void }).unref?.();
        this.#lingering.set(timer, shared.release);
      },
    };
  }

  /** The outbox closes: let go of every lingering shared claim now, and of any released later at once. */
  close(): void {
    this.#closing = true;
    for (const [timer, release] of this.#lingering) {
      clearTimeout(timer);
      release();
    }
    this.#lingering.clear();
  }
}
