/**
 * Per-stream progress counters: points accepted into the outbox and points acknowledged by the server.
 * In memory; they restart at zero with the process (what a previous run left pending counts as accepted).
 * A partial slice is replaced by newer versions of its key: only the points each version adds count.
 */
import type { SliceMeta } from "../outbox/outbox.js";
import { keyString, type Slice } from "../types.js";

interface Counters {
  accepted: number;
  acked: number;
  /** Keys whose newest accepted slice is partial: points accepted and acked so far for them. */
  partial: Map<string, { accepted: number; acked: number }>;
}

export class Progress {
  readonly #counters = new Map<string, Counters>();

  /** Slices a previous run accepted and left pending (at start). */
  pending(slices: Iterable<SliceMeta>): void {
    for (const s of slices) {
      const c = this.#for(s.dataId);
      c.accepted += s.points;
      if (!s.complete) c.partial.set(keyString(s), { accepted: s.points, acked: 0 });
    }
  }

  /** Slices now durable in the outbox. */
  accepted(dataId: string, slices: readonly Slice[]): void {
    const counters = this.#for(dataId);
    for (const s of slices) {
      const k = keyString({ dataId, channel: s.channel, chunkIndex: s.chunkIndex });
      const partial = counters.partial.get(k);
      counters.accepted += s.values.length - (partial?.accepted ?? 0);
      if (s.complete && !partial) continue;
      counters.partial.set(k, { accepted: s.values.length, acked: partial?.acked ?? 0 });
    }
  }

  /** Slices the server acknowledged. */
  acked(dataId: string, slices: readonly SliceMeta[]): void {
    const counters = this.#for(dataId);
    for (const s of slices) {
      const k = keyString(s);
      const partial = counters.partial.get(k);
      counters.acked += s.points - (partial?.acked ?? 0);
      if (partial) {
        if (s.complete && partial.accepted === s.points) counters.partial.delete(k);
        else partial.acked = s.points;
      }
    }
  }

  of(dataId: string): { acceptedPoints: number; ackedPoints: number } {
    const c = this.#counters.get(dataId);
    return { acceptedPoints: c?.accepted ?? 0, ackedPoints: c?.acked ?? 0 };
  }

  #for(dataId: string): Counters {
    let c = this.#counters.get(dataId);
    if (!c) this.#counters.set(dataId, (c = { accepted: 0, acked: 0, partial: new Map() }));
    return c;
  }
}
