import { keyString } from "../types.js";
import { BaseOutbox, type OutboxOptions, type OutboxStorage, type SliceMeta, type StoredSlice, type StreamState } from "./outbox.js";

/** Slices in memory: survives network outages and server errors, not a restart. The default. */
export class MemoryOutbox extends BaseOutbox {
  readonly kind = "memory";
  readonly durable = false;
  protected readonly storage: OutboxStorage;

  constructor(options: OutboxOptions = {}) {
    super(options);
    const slices = new Map<string, StoredSlice>();
    // A subclass overriding `read` (to watch or fail reads) keeps having it called per key: no readMany then.
    const ownRead = this.read === MemoryOutbox.prototype.read;
    this.storage = {
      load: async () => ({ slices: [], streams: [] }),
      write: async (records: StoredSlice[], _streams: StreamState[]) => {
        for (const r of records) slices.set(keyString(r), r);
      },
      read: async (meta: SliceMeta) => slices.get(keyString(meta)),
      // One request's slices in one call (the read contract settles them without a promise each).
      ...(ownRead ? { readMany: async (metas: SliceMeta[]) => metas.map((m) => ({ status: "fulfilled" as const, value: slices.get(keyString(m)) })) } : {}),
      delete: async (metas: SliceMeta[]) => {
        for (const m of metas) {
          const k = keyString(m);
          if (slices.get(k)?.version === m.version) slices.delete(k);
        }
      },
      updateMeta: async (meta: SliceMeta) => {
        const s = slices.get(keyString(meta));
        if (s) slices.set(keyString(meta), { ...s, ...meta });
      },
      writeStream: async () => {},
      close: async () => {},
    };
  }
}
