/** FileOutbox on a real directory: versions, restart, damaged and half-written files, one process per directory. */
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileOutbox } from "../../lib/fs.js";
import type { NewSlice, StreamState } from "../../lib/index.js";

const dataId = "d290f1ee-6c54-4b01-90e6-d701748f0851";
const slice = (channel: string, chunkIndex: number, n: number, complete = true): NewSlice => ({
  dataId,
  channel,
  chunkIndex,
  complete,
  timestamps: Array.from({ length: n }, (_, i) => 1_764_000_000 + chunkIndex * 100 + i),
  values: Array.from({ length: n }, (_, i) => chunkIndex * 1000 + i + 0.25),
  units: "C",
});
const state = (next: Record<string, number>): StreamState => ({
  dataId,
  pointsPerChunk: 100,
  endpoint: "http://127.0.0.1:1",
  streamPrefix: "/metrology",
  nextChunkIndex: next,
  phase: "open",
  createdAt: 1,
  updatedAt: 1,
});

describe("FileOutbox", () => {
  it("keeps slices, versions, quarantine and stream state across a restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "file-outbox-"));
    const a = new FileOutbox({ dir });
    const [partial] = await a.put([slice("T", 0, 40, false)], [state({ T: 1 })]);
    const [full] = await a.put([slice("T", 0, 100)]);
    expect(full!.version).toBeGreaterThan(partial!.version);
    expect(await a.ack(partial!, partial!.version)).toBe(false); // an old version's ack keeps the new one
    const [other] = await a.put([slice("P", 0, 10), slice("P", 1, 10)]);
    await a.quarantine(other!, other!.version, { status: 422, code: "http_422", detail: "bad", message: "refused", at: 5 });
    await a.close();

    const b = new FileOutbox({ dir });
    await b.open();
    expect(b.slices().map((s) => `${s.channel}#${s.chunkIndex}:${s.points}`).sort()).toEqual(["P#0:10", "P#1:10", "T#0:100"]);
    const t0 = await b.read({ dataId, channel: "T", chunkIndex: 0 });
    expect(t0?.values).toEqual(slice("T", 0, 100).values);
    expect(t0?.version).toBe(full!.version);
    expect(b.get({ dataId, channel: "P", chunkIndex: 0 })?.quarantined).toMatchObject({ status: 422, detail: "bad" });
    expect(b.getStream(dataId)?.nextChunkIndex).toEqual({ T: 1, P: 2 }); // P's index repaired from its stored slices
    expect(await b.ack(t0!, t0!.version)).toBe(true);
    const [next] = await b.put([slice("T", 1, 5)]);
    expect(next!.version).toBeGreaterThan(full!.version); // versions keep growing after a restart
    await b.close();
  });

  it("sets a damaged file aside instead of replaying it, and removes half-written temporary files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "file-outbox-"));
    const a = new FileOutbox({ dir });
    await a.put([slice("T", 0, 100), slice("T", 1, 100), slice("T", 2, 100)], [state({ T: 3 })]);
    await a.close();
    const files = (await readdir(join(dir, "slices"))).sort();
    expect(files).toHaveLength(3);
    // A torn write: the file cut short. And a bit flip inside another.
    const torn = join(dir, "slices", files[0]!);
    await writeFile(torn, (await readFile(torn, "utf8")).slice(0, 200));
    const flipped = join(dir, "slices", files[1]!);
    await writeFile(flipped, (await readFile(flipped, "utf8")).replace("0.25", "0.26"));
    await writeFile(join(dir, "slices", `${files[2]}.tmp-abcdef`), "{half");

    const b = new FileOutbox({ dir });
    await b.open();
    expect(b.slices()).toHaveLength(1);
    const survivor = b.slices()[0]!;
    expect((await b.read(survivor))?.values).toHaveLength(100);
    expect(b.corruptFiles.map((f) => f.split("/").at(-1)).sort()).toEqual([`${files[0]}.corrupt`, `${files[1]}.corrupt`].sort());
    expect((await readdir(join(dir, "slices"))).filter((f) => f.includes(".tmp-"))).toEqual([]);
    await b.close();
  });

  it("one process per directory: a second open names the first one's pid", async () => {
    const dir = await mkdtemp(join(tmpdir(), "file-outbox-"));
    await writeFile(join(dir, "outbox.lock"), "1"); // pid 1 is always alive
    await expect(new FileOutbox({ dir }).open()).rejects.toThrow(/in use by another process \(pid 1\)/);
    await writeFile(join(dir, "outbox.lock"), "999999999"); // no such process: a stale lock is taken over
    const c = new FileOutbox({ dir });
    await c.open();
    await c.close();
    expect(() => new FileOutbox({ dir: "" })).toThrow(/dir must be a directory path/);
  });
});
