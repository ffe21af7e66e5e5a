/**
 * The outbox contract, its sending half (design §2): `claim()` (one notion of "in flight": claimed at
 * the call, released once, never evicted by "drop-oldest") and `readAll()` (one request's slices read
 * at once, settled per key as `read` would). Run against MemoryOutbox and FileOutbox; IndexedDbOutbox
 * runs it in Chromium (test/outbox/indexeddb-contract.test.ts).
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileOutbox } from "../../lib/fs.js";
import { MemoryOutbox, type Outbox } from "../../lib/index.js";
import { sliceBytes, type NewSlice, type OutboxOptions } from "../../lib/outbox/outbox.js";

const dataId = "claim-contract";
const slice = (channel: string, chunkIndex: number, id = dataId): NewSlice => ({
  dataId: id,
  channel,
  chunkIndex,
  complete: true,
  timestamps: Array.from({ length: 10 }, (_, i) => 1_764_000_000 + chunkIndex * 100 + i),
  values: Array.from({ length: 10 }, (_, i) => chunkIndex * 1000 + i + 0.5),
});

const kinds: Array<{ name: string; make(options?: OutboxOptions): Promise<Outbox> }> = [
  { name: "MemoryOutbox", make: async (options) => new MemoryOutbox(options) },
  { name: "FileOutbox", make: async (options) => new FileOutbox({ dir: await mkdtemp(join(tmpdir(), "claim-contract-")), ...options }) },
];

describe.each(kinds)("outbox contract, claims and batched reads: $name", (kind) => {
  it("claim() claims at the call; a second claim of the same keys gets none; release frees them once", async () => {
    const outbox = await kind.make();
    const metas = await outbox.put([slice("T", 0), slice("P", 0), slice("T", 1, "other")]);
    const pending = outbox.claim(metas.slice(0, 2));
    // Before the promise resolves, the keys are claimed: nothing else in this process picks them.
    expect(outbox.isClaimed(metas[0]!)).toBe(true);
    expect(outbox.claimedCount(dataId)).toBe(2);
    expect(outbox.claimedCount("other")).toBe(0);
    const claim = await pending;
    expect(claim.claimed.map((m) => m.channel)).toEqual(["T", "P"]);
    const second = await outbox.claim(metas);
    expect(second.claimed.map((m) => `${m.dataId}/${m.channel}`)).toEqual(["other/T"]);
    expect(outbox.claimedCount()).toBe(3);
    claim.release();
    claim.release(); // idempotent: it does not free what the second claim holds
    expect(outbox.isClaimed(metas[0]!)).toBe(false);
    expect(outbox.isClaimed(metas[2]!)).toBe(true);
    second.release();
    expect(outbox.claimedCount()).toBe(0);
    // Claims are not pending state: acking a claimed slice works, and so does a claim after the ack (of nothing).
    const third = await outbox.claim([metas[0]!]);
    expect(await outbox.ack(metas[0]!, metas[0]!.version)).toBe(true);
    third.release();
    expect(outbox.pendingCount(dataId)).toBe(1);
    await outbox.close();
  });

  it('"drop-oldest" never evicts a claimed slice: it evicts the next oldest, and reports it', async () => {
    const one = sliceBytes(10, "T");
    const outbox = await kind.make({ capacityBytes: 3 * one, overflow: "drop-oldest" });
    const dropped: number[] = [];
    outbox.on((e) => e.type === "drop" && dropped.push(...e.dropped.map((d) => d.chunkIndex)));
    const metas = [];
    for (let c = 0; c < 3; c++) metas.push(...(await outbox.put([slice("T", c)])));
    const claim = await outbox.claim([metas[0]!]);
    await outbox.put([slice("T", 3)]);
    expect(dropped).toEqual([1]);
    expect(outbox.slices().map((m) => m.chunkIndex)).toEqual([0, 2, 3]);
    claim.release();
    await outbox.put([slice("T", 4)]);
    expect(dropped).toEqual([1, 0]); // released: the oldest goes now
    expect(outbox.droppedSlices).toBe(2);
    await outbox.close();
  });

  it("readAll() settles per key, in the order asked, as read() would: points, undefined for what is not pending", async () => {
    const outbox = await kind.make();
    const metas = await outbox.put([slice("T", 0), slice("P", 0), slice("T", 1)]);
    await outbox.ack(metas[1]!, metas[1]!.version);
    const reads = await outbox.readAll([metas[2]!, metas[1]!, { dataId, channel: "nope", chunkIndex: 9 }, metas[0]!]);
    expect(reads.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "fulfilled"]);
    const values = reads.map((r) => (r.status === "fulfilled" ? r.value?.values : "rejected"));
    expect(values).toEqual([slice("T", 1).values, undefined, undefined, slice("T", 0).values]);
    expect(reads[0]).toMatchObject({ value: { channel: "T", chunkIndex: 1, version: metas[2]!.version } });
    expect(await outbox.readAll([])).toEqual([]);
    await outbox.close();
  });
});
