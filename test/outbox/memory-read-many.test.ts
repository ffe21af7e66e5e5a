/**
 * MemoryOutbox's batched read (`readAll` through its storage's `readMany`, issue 17): the slices of one
 * request settle without a promise or a copy each, and still as `read` would — the points of the version
 * pending, a quarantine made after the put, undefined for what is no longer pending — and a subclass that
 * overrides `read` (to watch or fail reads) still has it called for every key.
 */
import { describe, expect, it } from "vitest";
import { MemoryOutbox } from "../../lib/index.js";
import type { NewSlice, StoredSlice } from "../../lib/outbox/outbox.js";
import type { SliceKey } from "../../lib/types.js";

const dataId = "memory-read-many";
const slice = (channel: string, chunkIndex: number, base = 0): NewSlice => ({
  dataId,
  channel,
  chunkIndex,
  complete: true,
  timestamps: Array.from({ length: 10 }, (_, i) => 1_764_000_000 + chunkIndex * 100 + i),
  values: Array.from({ length: 10 }, (_, i) => base + chunkIndex * 1000 + i + 0.5),
});

describe("MemoryOutbox readAll", () => {
  it("reads the version pending point by point, with a quarantine made after the put; undefined once acked", async () => {
    const outbox = new MemoryOutbox();
    const [a, b, c] = await outbox.put([slice("A", 0), slice("B", 0), slice("C", 0)]);
    // B is replaced by a newer version, C quarantined after its put.
    const [b2] = await outbox.put([slice("B", 0, 7)]);
    expect(b2!.version).toBeGreaterThan(b!.version);
    await outbox.quarantine(c!, c!.version, { status: 422, code: "rejected", detail: null, message: "refused by the server", at: 1 });
    await outbox.ack(a!, a!.version);
    const reads = await outbox.readAll([a!, b2!, c!]);
    expect(reads.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    const [ra, rb, rc] = reads.map((r) => (r as PromiseFulfilledResult<StoredSlice | undefined>).value);
    expect(ra).toBeUndefined();
    expect(rb!.version).toBe(b2!.version);
    expect(rb!.values).toEqual(slice("B", 0, 7).values);
    expect(rb!.timestamps).toEqual(slice("B", 0).timestamps);
    expect(rb!.quarantined).toBeUndefined();
    expect(rc!.values).toEqual(slice("C", 0).values);
    expect(rc!.quarantined).toMatchObject({ message: "refused by the server" });
    // The read does not change what is stored: the same read again gives the same points.
    const again = await outbox.readAll([b2!, c!]);
    expect((again[0] as PromiseFulfilledResult<StoredSlice | undefined>).value!.values).toEqual(slice("B", 0, 7).values);
  });

  it("a subclass overriding read() has it called for every key readAll reads", async () => {
    const seen: string[] = [];
    class Watched extends MemoryOutbox {
      override async read(key: SliceKey): Promise<StoredSlice | undefined> {
        seen.push(`${key.channel}#${key.chunkIndex}`);
        if (key.channel === "B") throw Object.assign(new Error("EMFILE: too many open files"), { code: "EMFILE" });
        return super.read(key);
      }
    }
    const outbox = new Watched();
    const metas = await outbox.put([slice("A", 0), slice("B", 0), slice("C", 0)]);
    const reads = await outbox.readAll(metas);
    expect(seen.sort()).toEqual(["A#0", "B#0", "C#0"]);
    expect(reads.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((reads[2] as PromiseFulfilledResult<StoredSlice | undefined>).value!.values).toEqual(slice("C", 0).values);
  });
});
