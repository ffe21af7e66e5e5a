/**
 * FileOutbox's read contract on a real directory: a read that fails for want of resources (EMFILE,
 * injected through the `fileSystem` option) rejects as transient and keeps the slice pending; a
 * damaged or vanished slice file is set aside as corrupt — kept on disk, listed by key, reported by
 * an event, out of the pending count — and never taken for acknowledged, also after a restart.
 */
import { createHash } from "node:crypto";
import * as fsp from "node:fs/promises";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileOutbox, type FileSystem } from "../../lib/fs.js";
import { CorruptSliceError, OutboxReadError } from "../../lib/outbox/errors.js";
import type { NewSlice, OutboxEvent } from "../../lib/outbox/outbox.js";
import { keyString, type SliceKey } from "../../lib/types.js";

const dataId = "5f0c8a52-3a1d-4e0b-9a57-0f1c2d3e4f50";
const slice = (channel: string, chunkIndex: number, n = 100): NewSlice => ({
  dataId,
  channel,
  chunkIndex,
  complete: true,
  timestamps: Array.from({ length: n }, (_, i) => 1_764_000_000 + chunkIndex * 100 + i),
  values: Array.from({ length: n }, (_, i) => chunkIndex * 1000 + i + 0.25),
});
const fileOf = (dir: string, key: SliceKey) => join(dir, "slices", `${createHash("sha256").update(keyString(key)).digest("hex").slice(0, 40)}.json`);
const key = (channel: string, chunkIndex: number): SliceKey => ({ dataId, channel, chunkIndex });

/** node:fs/promises, but `readFile` of slice files fails with a real-looking EMFILE while `failing()` says so. */
function emfileOnSliceReads(failing: () => boolean): FileSystem & { failures: number } {
  const fs = {
    open: fsp.open, readdir: fsp.readdir, rename: fsp.rename, rm: fsp.rm, mkdir: fsp.mkdir, writeFile: fsp.writeFile, statfs: fsp.statfs,
    failures: 0,
    readFile: (async (path: string, options: unknown) => {
      if (String(path).includes(`${"slices"}`) && String(path).endsWith(".json") && failing()) {
        fs.failures++;
        throw Object.assign(new Error(`EMFILE: too many open files, open '${path}'`), { code: "EMFILE", errno: -24, syscall: "open", path });
      }
      return fsp.readFile(path, options as BufferEncoding);
    }) as FileSystem["readFile"],
  };
  return fs;
}

describe("FileOutbox read errors", () => {
  it("EMFILE: the read rejects as transient, the slice stays pending and counted, and reads again once files are free", async () => {
    const dir = await mkdtemp(join(tmpdir(), "file-read-"));
    let failing = false;
    const fs = emfileOnSliceReads(() => failing);
    const outbox = new FileOutbox({ dir, fileSystem: fs });
    const [meta] = await outbox.put([slice("T", 0)]);
    const used = outbox.usedBytes;
    failing = true;
    const error = await outbox.read(key("T", 0)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboxReadError);
    expect(error).not.toBeInstanceOf(CorruptSliceError);
    expect(error).toMatchObject({ transient: true, code: "outbox_read_failed", key: key("T", 0), version: meta!.version });
    expect((error as Error).message).toMatch(/EMFILE.*kept and read again later.*ulimit -n/);
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe("EMFILE");
    expect(fs.failures).toBe(1);
    expect(outbox.pendingCount(dataId)).toBe(1);
    expect(outbox.usedBytes).toBe(used);
    expect(outbox.corruptSlices()).toEqual([]);
    failing = false;
    expect((await outbox.read(key("T", 0)))?.values).toEqual(slice("T", 0).values);
    await outbox.close();
  });

  it("a flipped byte: corrupt — rejected by key, file kept aside, listed, reported, no longer pending; the neighbours read fine; still listed after a restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "file-read-"));
    const outbox = new FileOutbox({ dir });
    const events: OutboxEvent[] = [];
    outbox.on((e) => e.type === "corrupt" && events.push(e));
    const metas = await outbox.put([slice("T", 0), slice("T", 1), slice("T", 2)]);
    const path = fileOf(dir, key("T", 1));
    const original = await readFile(path, "utf8");
    const flipped = original.replace('"values":[1000.25', '"values":[1001.25');
    expect(flipped).not.toBe(original);
    await writeFile(path, flipped);
    const used = outbox.usedBytes;

    const error = await outbox.read(key("T", 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptSliceError);
    expect(error).toMatchObject({ code: "corrupt", transient: false, key: key("T", 1), version: metas[1]!.version, corrupt: { reason: "checksum", keptAt: `${path}.corrupt` } });
    expect((error as Error).message).toMatch(/damaged in local storage \(checksum.*set aside.*not sent/);
    expect(await readFile(`${path}.corrupt`, "utf8")).toBe(flipped); // kept as it was found
    expect(outbox.get(key("T", 1))).toBeUndefined();
    expect(outbox.pendingCount(dataId)).toBe(2);
    expect(outbox.usedBytes).toBe(used - metas[1]!.bytes);
    expect(outbox.corruptSlices(dataId)).toEqual([expect.objectContaining({ ...key("T", 1), version: metas[1]!.version, points: 100, corrupt: expect.objectContaining({ reason: "checksum" }) })]);
    expect(events).toEqual([{ type: "corrupt", slices: outbox.corruptSlices() }]);
    expect(await outbox.read(key("T", 1))).toBeUndefined(); // not pending any more
    expect((await outbox.read(key("T", 0)))?.values).toEqual(slice("T", 0).values);
    expect((await outbox.read(key("T", 2)))?.values).toEqual(slice("T", 2).values);
    expect(await outbox.ack(metas[1]!, metas[1]!.version)).toBe(false); // never acknowledged
    await outbox.close();

    const again = new FileOutbox({ dir });
    const seen: OutboxEvent[] = [];
    again.on((e) => seen.push(e));
    await again.open();
    expect(again.slices().map((m) => m.chunkIndex)).toEqual([0, 2]);
    expect(again.corruptSlices()).toEqual([expect.objectContaining({ ...key("T", 1), version: metas[1]!.version, corrupt: expect.objectContaining({ reason: "checksum", keptAt: `${path}.corrupt` }) })]);
    expect(seen.filter((e) => e.type === "corrupt")).toHaveLength(1);
    // A new version of the key is pending as usual; the damaged one stays listed.
    await again.put([slice("T", 1, 10)]);
    expect((await again.read(key("T", 1)))?.values).toHaveLength(10);
    expect(again.corruptSlices()).toHaveLength(1);
    await again.close();
  });

  it("a slice file gone while pending (the outbox is its directory's only writer): corrupt, reason missing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "file-read-"));
    const outbox = new FileOutbox({ dir });
    const [meta] = await outbox.put([slice("P", 4)]);
    await rm(fileOf(dir, key("P", 4)));
    await expect(outbox.read(key("P", 4))).rejects.toMatchObject({ code: "corrupt", corrupt: { reason: "missing" }, key: key("P", 4), version: meta!.version });
    expect(outbox.pendingCount(dataId)).toBe(0);
    expect(outbox.corruptSlices()).toHaveLength(1);
    await outbox.close();
    const again = new FileOutbox({ dir });
    await again.open();
    expect(again.corruptSlices()).toEqual([expect.objectContaining({ ...key("P", 4), version: meta!.version, corrupt: expect.objectContaining({ reason: "missing" }) })]);
    await again.close();
  });

  it("a slice acknowledged while it was being read resolves undefined, not corrupt", async () => {
    const dir = await mkdtemp(join(tmpdir(), "file-read-"));
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let hold = false;
    const fs: FileSystem = {
      ...emfileOnSliceReads(() => false),
      readFile: (async (path: string, options: unknown) => {
        if (hold) await gate;
        return fsp.readFile(path, options as BufferEncoding);
      }) as FileSystem["readFile"],
    };
    const outbox = new FileOutbox({ dir, fileSystem: fs });
    const [meta] = await outbox.put([slice("T", 0)]);
    hold = true;
    const reading = outbox.read(key("T", 0));
    await outbox.ack(meta!, meta!.version);
    release();
    expect(await reading).toBeUndefined();
    expect(outbox.corruptSlices()).toEqual([]);
    await outbox.close();
  });

  it("damage found at start-up is set aside by key when the key can be told, by file name otherwise", async () => {
    const dir = await mkdtemp(join(tmpdir(), "file-read-"));
    const a = new FileOutbox({ dir });
    await a.put([slice("T", 0), slice("T", 1), slice("T", 2)]);
    await a.close();
    const torn = fileOf(dir, key("T", 0));
    await writeFile(torn, (await readFile(torn, "utf8")).slice(0, 200)); // cut short: the key is at the start
    const garbled = fileOf(dir, key("T", 2));
    await writeFile(garbled, "\u0000\u0000 not a record at all\n");
    const b = new FileOutbox({ dir });
    await b.open();
    expect(b.slices().map((m) => m.chunkIndex)).toEqual([1]);
    expect(b.corruptSlices().map((c) => [c.chunkIndex, c.corrupt.reason])).toEqual([[0, "unparsable"]]);
    expect(b.corruptFiles.sort()).toEqual([`${torn}.corrupt`, `${garbled}.corrupt`].sort());
    expect((await readdir(join(dir, "slices"))).filter((f) => f.endsWith(".json"))).toHaveLength(1);
    await b.close();
  });
});
