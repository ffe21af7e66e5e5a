/**
 * The outbox contract (design §2), one suite run against every outbox Node can run: MemoryOutbox and
 * FileOutbox (IndexedDbOutbox runs its own in Chromium: test/browser/indexeddb-outbox.test.ts).
 * Durable outboxes are also reopened, as a new process would.
 */
import { mkdtemp, readdir } from "node:fs/promises";
import { statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileOutbox } from "../../lib/fs.js";
import { MemoryOutbox } from "../../lib/index.js";
import { capacityForFreeSpace, WEEKEND_BYTES } from "../../lib/outbox/capacity.js";
import { MEMORY_CAPACITY_BYTES, sliceBytes, type BaseOutbox, type NewSlice, type OutboxOptions, type SliceMeta, type StreamState } from "../../lib/outbox/outbox.js";

const dataId = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const slice = (channel: string, chunkIndex: number, n = 10, complete = true, id = dataId): NewSlice => ({
  dataId: id,
  channel,
  chunkIndex,
  complete,
  timestamps: Array.from({ length: n }, (_, i) => 1_764_000_000 + chunkIndex * 100 + i),
  values: Array.from({ length: n }, (_, i) => chunkIndex * 1000 + i + 0.5),
  units: "K",
});
const state = (id: string, extra: Partial<StreamState> & Record<string, unknown> = {}): StreamState => ({
  dataId: id,
  pointsPerChunk: 100,
  endpoint: "http://127.0.0.1:1",
  streamPrefix: "/metrology",
  nextChunkIndex: {},
  phase: "open",
  createdAt: 1,
  updatedAt: Date.now(),
  ...extra,
});
const names = (list: SliceMeta[]) => list.map((m) => `${m.channel}#${m.chunkIndex}`);

interface Kind {
  name: string;
  /** A fresh outbox; `reopen` gives a second one on the same storage (durable kinds only). */
  make(options?: OutboxOptions): Promise<{ outbox: BaseOutbox; reopen?: (options?: OutboxOptions) => BaseOutbox; dir?: string }>;
}

const kinds: Kind[] = [
  { name: "MemoryOutbox", make: async (options) => ({ outbox: new MemoryOutbox(options) }) },
  {
    name: "FileOutbox",
    make: async (options) => {
      const dir = await mkdtemp(join(tmpdir(), "outbox-contract-"));
      return { outbox: new FileOutbox({ dir, ...options }), reopen: (o) => new FileOutbox({ dir, ...o }), dir };
    },
  },
];

describe.each(kinds)("outbox contract: $name", (kind) => {
  it("put resolves with versions that grow; read gives the points back; a newer version supersedes; an ack deletes only the version named", async () => {
    const { outbox } = await kind.make();
    const [partial] = await outbox.put([slice("T", 0, 4, false)]);
    const [full] = await outbox.put([slice("T", 0, 10)]);
    expect(full!.version).toBeGreaterThan(partial!.version);
    expect(full).toMatchObject({ dataId, channel: "T", chunkIndex: 0, points: 10, complete: true });
    const read = await outbox.read(full!);
    expect(read).toMatchObject({ version: full!.version, values: slice("T", 0).values, timestamps: slice("T", 0).timestamps, units: "K" });
    expect(await outbox.ack(partial!, partial!.version)).toBe(false);
    expect(outbox.pendingCount(dataId)).toBe(1);
    expect(await outbox.ackAll([{ ...full!, version: full!.version }])).toEqual([true]);
    expect(outbox.pendingCount(dataId)).toBe(0);
    expect(outbox.usedBytes).toBe(0);
    expect(await outbox.read(full!)).toBeUndefined();
    expect(await outbox.read({ dataId, channel: "nope", chunkIndex: 0 })).toBeUndefined();
    await outbox.close();
  });

  it("keeps put order for scans: slices(), order.oldestFirst(), order.newestFirst(), order.chunk()", async () => {
    const { outbox, reopen } = await kind.make();
    await outbox.put([slice("T", 0), slice("P", 0)]);
    await outbox.put([slice("T", 1), slice("P", 1, 3, false)]);
    await outbox.put([slice("P", 0, 10)]); // put again: now the newest
    await outbox.put([slice("X", 5, 10, true, "other-stream")]);
    expect(names(outbox.slices())).toEqual(["T#0", "T#1", "P#1", "P#0", "X#5"]);
    expect(names(outbox.slices(dataId))).toEqual(["T#0", "T#1", "P#1", "P#0"]);
    expect(names([...outbox.order.oldestFirst()])).toEqual(["T#0", "T#1", "P#1", "P#0", "X#5"]);
    expect([...outbox.order.newestFirst()].map((m) => [`${m.dataId}/${m.channel}/${m.chunkIndex}`, m.chunkIndex])).toEqual([
      ["other-stream/X/5", 5],
      [`${dataId}/P/0`, 0],
      [`${dataId}/P/1`, 1],
      [`${dataId}/T/1`, 1],
      [`${dataId}/T/0`, 0],
    ]);
    expect(names(outbox.order.chunk(dataId, 0))).toEqual(["T#0", "P#0"]);
    expect(outbox.get({ dataId, channel: "P", chunkIndex: 1 })).toMatchObject({ points: 3, complete: false });
    expect(outbox.pendingCount(dataId)).toBe(4);
    await outbox.close();
    if (reopen) {
      const again = reopen();
      await again.open();
      expect(names(again.slices())).toEqual(["T#0", "T#1", "P#1", "P#0", "X#5"]);
      await again.close();
    }
  });

  it("quarantine keeps the slice where it is, out of the pending count; remove deletes whatever the version", async () => {
    const { outbox, reopen } = await kind.make();
    const [a, b] = await outbox.put([slice("T", 0), slice("T", 1)]);
    const info = { status: 422, code: "http_422", detail: [{ msg: "bad" }], message: "refused", at: 7 };
    expect(await outbox.quarantine(b!, b!.version + 1, info)).toBeUndefined(); // not that version
    expect(await outbox.quarantine(b!, b!.version, info)).toMatchObject({ quarantined: info });
    expect(outbox.pendingCount(dataId)).toBe(1);
    expect(names(outbox.slices())).toEqual(["T#0", "T#1"]);
    expect((await outbox.read(b!))?.quarantined).toEqual(info);
    await outbox.close();
    const again = reopen ? reopen() : outbox;
    if (reopen) {
      await again.open();
      expect(again.get(b!)?.quarantined).toEqual(info);
      expect(again.pendingCount(dataId)).toBe(1);
    }
    expect(names(await again.remove([a!, b!]))).toEqual(["T#0", "T#1"]);
    expect(again.slices()).toEqual([]);
    await again.close();
  });

  it("stream states are kept whole: fields this version does not know survive a put and a reopen", async () => {
    const { outbox, reopen } = await kind.make();
    const st = state(dataId, { nextChunkIndex: { T: 3 }, offline: { queued: true, physicalSample: "S-1" }, platformDataId: "abc" } as Record<string, unknown>);
    await outbox.put([slice("T", 2)], [st]);
    expect(outbox.getStream(dataId)).toEqual(st);
    await outbox.putStream({ ...st, phase: "closing" });
    expect(outbox.getStream(dataId)).toMatchObject({ phase: "closing", offline: { queued: true, physicalSample: "S-1" }, platformDataId: "abc" });
    await outbox.close();
    if (reopen) {
      const again = reopen();
      await again.open();
      expect(again.getStream(dataId)).toEqual({ ...st, phase: "closing" });
      await again.close();
    }
  });

  it("capacity: memory-sized for memory, a share of the free disk (at least a weekend of 10 Hz × 16 channels) for files; an explicit one wins", async () => {
    const { outbox, dir } = await kind.make();
    await outbox.open();
    if (kind.name === "MemoryOutbox") expect(outbox.capacityBytes).toBe(MEMORY_CAPACITY_BYTES);
    else {
      const s = await statfs(dir!);
      const free = Number(s.bavail) * Number(s.bsize);
      expect(outbox.capacityBytes).toBe(capacityForFreeSpace(free, "file"));
      if (free * 0.9 > WEEKEND_BYTES * 2.5) expect(outbox.capacityBytes).toBeGreaterThanOrEqual(WEEKEND_BYTES);
      expect(outbox.capacityBytes).toBeLessThanOrEqual(free); // what the disk really holds
    }
    await outbox.close();
    const { outbox: sized } = await kind.make({ capacityBytes: 12345 });
    await sized.open();
    expect(sized.capacityBytes).toBe(12345);
    await sized.close();
    expect(WEEKEND_BYTES).toBeGreaterThanOrEqual(10 * 16 * 64 * 3600 * 16); // 64 h of 160 points/s at 16 bytes a point
  });

  it("at capacity the overflow policy applies, visibly: writers wait (a \"full\" event), the oldest go (a \"drop\" event), or the write is refused", async () => {
    const one = sliceBytes(10, "T");
    const { outbox } = await kind.make({ capacityBytes: 3 * one });
    const events: string[] = [];
    outbox.on((e) => e.type !== "change" && events.push(e.type === "full" ? `full:${e.usedBytes}/${e.capacityBytes}` : e.type));
    const metas = await outbox.put([slice("T", 0), slice("T", 1), slice("T", 2), slice("T", 3)]); // "wait" holds writers back before a put, not in it
    expect(outbox.full()).toBe(true);
    let waited = false;
    const waiting = outbox.waitForSpace().then(() => (waited = true));
    const second = outbox.waitForSpace();
    await new Promise((r) => setTimeout(r, 50));
    expect(waited).toBe(false);
    expect(events).toEqual([`full:${4 * one}/${3 * one}`]); // once, however many writers wait
    await outbox.ack(metas[0]!, metas[0]!.version);
    await outbox.ack(metas[1]!, metas[1]!.version);
    await Promise.all([waiting, second]);
    expect(events.filter((e) => e.startsWith("full"))).toHaveLength(1);
    await outbox.close();

    const { outbox: dropping } = await kind.make({ capacityBytes: 3 * one, overflow: "drop-oldest" });
    const dropped: number[] = [];
    dropping.on((e) => e.type === "drop" && dropped.push(...e.dropped.map((d) => d.chunkIndex)));
    for (let c = 0; c < 5; c++) await dropping.put([slice("T", c)]);
    expect(dropped).toEqual([0, 1]);
    expect(names(dropping.slices())).toEqual(["T#2", "T#3", "T#4"]);
    expect(dropping.droppedSlices).toBe(2);
    await dropping.close();

    const { outbox: refusing } = await kind.make({ capacityBytes: 3 * one, overflow: "error" });
    for (let c = 0; c < 3; c++) await refusing.put([slice("T", c)]);
    await expect(refusing.put([slice("T", 3)])).rejects.toMatchObject({ code: "outbox_full", capacityBytes: 3 * one });
    expect(refusing.slices()).toHaveLength(3);
    await refusing.close();
  });

  it("prunes finalized streams' state after pruneFinalizedAfterMs, never one still holding slices or open", async () => {
    const { outbox, reopen } = await kind.make({ pruneFinalizedAfterMs: 0 });
    const old = Date.now() - 3_600_000;
    await outbox.putStream(state("done-a", { phase: "finalized", updatedAt: old }));
    await outbox.putStream(state("done-b", { phase: "finalized", updatedAt: old }));
    await outbox.putStream(state("open-c", { updatedAt: old }));
    await outbox.put([slice("T", 0, 10, true, "held-d")], [state("held-d", { phase: "finalized", updatedAt: old })]);
    const [held] = outbox.slices("held-d");
    await outbox.quarantine(held!, held!.version, { code: "http_409", detail: "finalized", message: "refused", at: 1 });
    await outbox.putStream(state("just-now", { phase: "finalized" }));
    expect((await outbox.pruneFinalized()).sort()).toEqual(["done-a", "done-b"]);
    expect(outbox.streams().map((s) => s.dataId).sort()).toEqual(["held-d", "just-now", "open-c"]); // just finalized: callers still read it
    await outbox.close();
    if (reopen) {
      const again = reopen({ pruneFinalizedAfterMs: 0 });
      await again.open(); // at open, even a stream finalized a moment ago goes
      expect(again.streams().map((s) => s.dataId).sort()).toEqual(["held-d", "open-c"]);
      await again.close();
      const keep = reopen();
      await keep.open();
      expect(keep.pruneFinalizedAfterMs).toBe(7 * 24 * 3600 * 1000);
      await keep.close();
    }
  });
});

describe("FileOutbox pruning over many runs", () => {
  it("the directory does not grow with the number of runs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "outbox-runs-"));
    const counts: number[] = [];
    for (let run = 0; run < 12; run++) {
      const outbox = new FileOutbox({ dir, pruneFinalizedAfterMs: 0 });
      const id = `run-${run}`;
      const [m] = await outbox.put([slice("T", 0, 10, true, id)], [state(id, { nextChunkIndex: { T: 1 } })]);
      await outbox.ack(m!, m!.version);
      await outbox.putStream({ ...outbox.getStream(id)!, phase: "finalized", updatedAt: Date.now() });
      await outbox.close();
      counts.push((await readdir(join(dir, "streams"))).length + (await readdir(join(dir, "slices"))).length);
    }
    expect(counts.every((n) => n <= 1)).toBe(true); // the last run's state only; earlier ones pruned at each open
  });
});
