/**
 * The outbox's writes of slices (BaseOutbox's `put`, `ackAll`, `remove`, `quarantine`), each run in the
 * outbox's write order by BaseOutbox: storage first, then the ledger, so the index never names a slice
 * the storage does not hold. `put` applies the overflow policy (overflow.ts) and counts what it drops.
 */
import type { SliceKey } from "../types.js";
import { OutboxFullError } from "./errors.js";
import type { Ledger } from "./ledger.js";
import { oldestToDrop } from "./overflow.js";
import type { StreamStates } from "./stream-states.js";
import { newRecords, type Versions } from "./versions.js";
import type { DropRecord, NewSlice, OutboxEvent, OutboxStorage, OverflowPolicy, QuarantineInfo, SliceMeta, StreamState } from "./types.js";

/** What the writes need of their outbox (BaseOutbox's private parts, lent). */
export interface WriteHost {
  storage(): OutboxStorage;
  readonly ledger: Ledger;
  readonly versions: Versions;
  readonly streams: StreamStates;
  overflow(): OverflowPolicy;
  capacityBytes(): number;
  /** True when `bytes` more would not fit. */
  full(bytes: number): boolean;
  /** Space was freed: wake writers waiting for it. */
  released(): void;
  emit(event: OutboxEvent): void;
}

export class SliceWrites {
  readonly #host: WriteHost;
  droppedSlices = 0;
  droppedPoints = 0;

  constructor(host: WriteHost) {
    this.#host = host;
  }

  /** BaseOutbox.put, once the outbox is open. */
  async put(slices: NewSlice[], streams: StreamState[]): Promise<SliceMeta[]> {
    const host = this.#host;
    const ledger = host.ledger;
    const { records, delta } = newRecords(slices, ledger.index, host.versions);
    const dropped: SliceMeta[] = [];
    if (delta > 0 && host.full(delta)) {
      const overflow = host.overflow();
      if (overflow === "error") throw new OutboxFullError(ledger.usedBytes, host.capacityBytes(), delta);
      if (overflow === "drop-oldest") dropped.push(...oldestToDrop(ledger, records, delta, host.capacityBytes()));
    }
    await host.storage().write(records, streams);
    // Evicted only once the new slices are stored: a crash before this point leaves the old ones pending
    // (sent later, the budget briefly exceeded), never gone without their "drop" event. A failed delete
    // keeps them pending too.
    if (dropped.length > 0 && !(await host.storage().delete(dropped).then(() => true, () => false))) dropped.length = 0;
    for (const d of dropped) {
      ledger.delete(d);
      this.droppedSlices += 1;
      this.droppedPoints += d.points;
    }
    const metas: SliceMeta[] = [];
    for (const r of records) {
      // A literal, not rest destructuring (a slow generic copy, once per slice on the hot path).
      const meta: SliceMeta = { dataId: r.dataId, channel: r.channel, chunkIndex: r.chunkIndex, version: r.version, points: r.points, bytes: r.bytes, complete: r.complete, createdAt: r.createdAt };
      ledger.append(meta); // (re-)inserted: the index stays in put order
      metas.push(meta);
    }
    for (const st of streams) host.streams.set(st);
    if (dropped.length > 0) {
      host.emit({ type: "drop", dropped: dropped.map((d): DropRecord => ({ dataId: d.dataId, channel: d.channel, chunkIndex: d.chunkIndex, version: d.version, points: d.points })) });
    }
    host.emit({ type: "change" });
    return metas;
  }

  /** BaseOutbox.ackAll: each slice deleted only if the version named is still the pending one. */
  async ackAll(acks: ReadonlyArray<SliceKey & { version: number }>): Promise<boolean[]> {
    const ledger = this.#host.ledger;
    const metas = acks.map((a) => {
      const meta = ledger.index.get(a);
      return meta && meta.version === a.version ? meta : undefined;
    });
    const gone = metas.filter((m): m is SliceMeta => m !== undefined);
    if (gone.length === 0) return metas.map(() => false);
    await this.#host.storage().delete(gone);
    for (const meta of gone) ledger.delete(meta);
    this.#host.released();
    return metas.map((m) => m !== undefined);
  }

  /** BaseOutbox.remove: whatever their version. */
  async remove(keys: SliceKey[]): Promise<SliceMeta[]> {
    const ledger = this.#host.ledger;
    const metas = keys.map((k) => ledger.index.get(k)).filter((m): m is SliceMeta => m !== undefined);
    if (metas.length === 0) return [];
    await this.#host.storage().delete(metas);
    for (const m of metas) ledger.delete(m);
    this.#host.released();
    return metas;
  }

  /** BaseOutbox.quarantine: this version kept aside with the server's reason. */
  async quarantine(key: SliceKey, version: number, info: QuarantineInfo): Promise<SliceMeta | undefined> {
    const ledger = this.#host.ledger;
    const meta = ledger.index.get(key);
    if (!meta || meta.version !== version) return undefined;
    const next = { ...meta, quarantined: info };
    await this.#host.storage().updateMeta(next);
    ledger.replace(meta, next);
    return next;
  }
}
