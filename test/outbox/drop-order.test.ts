/**
 * "drop-oldest" on a real FileOutbox directory, in the order that cannot lose a reading silently: the new
 * slices are stored before the oldest are deleted (a crash between the two leaves the old ones pending,
 * not gone without their "drop" event), and a delete that fails keeps them pending — no drop counted,
 * nothing reported as dropped, every slice still readable point by point.
 */
import * as fsp from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { expect, it } from "vitest";
import { FileOutbox, type FileSystem } from "../../lib/fs.js";
import type { NewSlice, OutboxEvent } from "../../lib/outbox/outbox.js";
import { sliceBytes } from "../../lib/outbox/sizes.js";

const dataId = "9a1c0d52-3a1d-4e0b-9a57-0f1c2d3e4f51";
const slice = (chunkIndex: number): NewSlice => ({
  dataId,
  channel: "T",
  chunkIndex,
  complete: true,
  timestamps: Array.from({ length: 100 }, (_, i) => 1_764_000_000 + chunkIndex + i / 100),
  values: Array.from({ length: 100 }, (_, i) => chunkIndex * 1000 + i),
});

/** node:fs/promises recording renames into slices/ and removals of slice files; `rm` fails while `failRm()` says so. */
function recording(failRm: () => boolean): FileSystem & { ops: string[] } {
  const ops: string[] = [];
  return {
    ops,
    open: fsp.open, readFile: fsp.readFile, readdir: fsp.readdir, mkdir: fsp.mkdir, writeFile: fsp.writeFile, statfs: fsp.statfs,
    rename: (async (from: string, to: string) => {
      await fsp.rename(from, to);
      if (String(to).includes(`${sep}slices${sep}`)) ops.push("rename");
    }) as FileSystem["rename"],
    rm: (async (path: string, options: unknown) => {
      if (String(path).includes(`${sep}slices${sep}`)) {
        if (failRm()) throw Object.assign(new Error(`EIO: i/o error, unlink '${path}'`), { code: "EIO" });
        ops.push("rm");
      }
      return fsp.rm(path, options as Parameters<typeof fsp.rm>[1]);
    }) as FileSystem["rm"],
  };
}

it("the new slice is stored before the oldest is deleted; a failed delete keeps it pending and reports no drop", async () => {
  let failRm = false;
  const fileSystem = recording(() => failRm);
  const outbox = new FileOutbox({ dir: await mkdtemp(join(tmpdir(), "drop-order-")), fileSystem, capacityBytes: 3 * sliceBytes(100, "T"), overflow: "drop-oldest" });
  const events: OutboxEvent[] = [];
  outbox.on((e) => events.push(e));
  for (let c = 0; c < 3; c++) await outbox.put([slice(c)]);

  await outbox.put([slice(3)]);
  expect(fileSystem.ops.slice(-2)).toEqual(["rename", "rm"]); // stored, then evicted
  expect(outbox.slices().map((s) => s.chunkIndex)).toEqual([1, 2, 3]);
  expect(events.filter((e) => e.type === "drop").flatMap((e) => (e.type === "drop" ? e.dropped.map((d) => d.chunkIndex) : []))).toEqual([0]);

  failRm = true;
  await outbox.put([slice(4)]);
  // The delete failed: chunk 1 stays pending (over capacity for a while), nothing is said to be dropped.
  expect(outbox.slices().map((s) => s.chunkIndex)).toEqual([1, 2, 3, 4]);
  expect(outbox.droppedSlices).toBe(1);
  expect(events.filter((e) => e.type === "drop")).toHaveLength(1);
  for (const c of [1, 2, 3, 4]) {
    const back = await outbox.read({ dataId, channel: "T", chunkIndex: c });
    expect(back?.values, `chunk ${c}`).toEqual(slice(c).values);
    expect(back?.timestamps, `chunk ${c}`).toEqual(slice(c).timestamps);
  }
  await outbox.close();
});
