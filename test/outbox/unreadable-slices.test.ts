/**
 * Issue 10, failure 3, end to end: a streamer on a FileOutbox, a real emulator behind a fault proxy.
 * A slice file damaged on disk during an outage is set aside as corrupt and reported by key — never
 * acknowledged — while its neighbours are delivered; reads failing with EMFILE are retried and
 * everything is delivered. Each test reads the server back point by point.
 */
import { createHash } from "node:crypto";
import * as fsp from "node:fs/promises";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimeseriesStreamer } from "../../lib/index.js";
import { FileOutbox, type FileSystem } from "../../lib/fs.js";
import type { OutboxEvent } from "../../lib/outbox/outbox.js";
import { keyString, type SliceKey } from "../../lib/types.js";
import { BACKENDS, emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { readBack } from "../helpers/readback.js";

const PPC = 100;
const CHUNKS = 10;
const CHANNELS = ["T", "P", "R"];
const T0 = 1_764_000_000;
const value = (c: number, i: number) => c * 100_000 + i;

describe.each(BACKENDS)("unreadable slices end to end (%s)", (backend) => {
  let emu: RunningEmulator;
  let proxy: FaultProxy;
  beforeAll(async () => {
    emu = await emulatorOn(backend);
    proxy = await startFaultProxy({ target: emu.url });
  });
  afterAll(async () => {
    await proxy?.close();
    await emu?.stop();
  });

  async function pushAll(streamer: TimeseriesStreamer, dataId: string) {
    for (let chunk = 0; chunk < CHUNKS; chunk++) {
      const channels: Record<string, { timestamps: number[]; values: number[] }> = {};
      CHANNELS.forEach((name, c) => {
        const idx = Array.from({ length: PPC }, (_, k) => chunk * PPC + k);
        channels[name] = { timestamps: idx.map((i) => T0 + i * 0.01), values: idx.map((i) => value(c, i)) };
      });
      await streamer.pushMulti(dataId, { chunkIndex: chunk, channels });
    }
  }
  const newStream = async () => (await http(emu)("POST", "/metrology/stream/initialize", { points_per_chunk: PPC })).body.data_id as string;

  it("a slice file damaged during an outage: set aside as corrupt and reported by key, never acknowledged; every neighbour arrives", async () => {
    const dataId = await newStream();
    const dir = await mkdtemp(join(tmpdir(), "unreadable-"));
    const outbox = new FileOutbox({ dir });
    const corrupt: OutboxEvent[] = [];
    outbox.on((e) => e.type === "corrupt" && corrupt.push(e));
    const streamer = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: PPC, outbox, retry: { baseDelayMs: 20, maxDelayMs: 200 } });
    proxy.setOutage(true);
    await pushAll(streamer, dataId);
    expect(outbox.pendingCount(dataId)).toBe(CHUNKS * CHANNELS.length);

    const damaged: SliceKey = { dataId, channel: "P", chunkIndex: 4 };
    const path = join(dir, "slices", `${createHash("sha256").update(keyString(damaged)).digest("hex").slice(0, 40)}.json`);
    const text = await readFile(path, "utf8");
    const flipped = text.replace(`"values":[${value(1, 400)}`, `"values":[${value(1, 400) + 1}`);
    expect(flipped).not.toBe(text);
    await writeFile(path, flipped);

    proxy.setOutage(false);
    streamer.retryNow();
    await streamer.flush(dataId);
    expect(outbox.pendingCount(dataId)).toBe(0);
    expect(outbox.corruptSlices(dataId)).toEqual([expect.objectContaining({ ...damaged, points: PPC, corrupt: expect.objectContaining({ reason: "checksum", keptAt: `${path}.corrupt` }) })]);
    expect(corrupt).toHaveLength(1);
    expect(await readFile(`${path}.corrupt`, "utf8")).toBe(flipped); // kept

    const back = await readBack(emu, dataId);
    CHANNELS.forEach((name, c) => {
      const all = Array.from({ length: CHUNKS * PPC }, (_, i) => value(c, i));
      const expected = name === "P" ? all.filter((_, i) => Math.floor(i / PPC) !== 4) : all;
      expect(back.properties[name]?.values, name).toEqual(expected);
    });
    await streamer.close();
  }, 120_000);

  it("reads failing with EMFILE (too many open files) are retried: every point arrives exactly once", async () => {
    const dataId = await newStream();
    const dir = await mkdtemp(join(tmpdir(), "unreadable-"));
    let failures = 0;
    let failing = false;
    const fileSystem: FileSystem = {
      open: fsp.open, readdir: fsp.readdir, rename: fsp.rename, rm: fsp.rm, mkdir: fsp.mkdir, writeFile: fsp.writeFile, statfs: fsp.statfs,
      readFile: (async (path: string, options: unknown) => {
        // The first 40 reads of slice files after the outage meet a full file table.
        if (failing && String(path).endsWith(".json") && String(path).includes("slices") && failures < 40) {
          failures++;
          throw Object.assign(new Error(`EMFILE: too many open files, open '${path}'`), { code: "EMFILE", errno: -24, syscall: "open", path });
        }
        return fsp.readFile(path, options as BufferEncoding);
      }) as FileSystem["readFile"],
    };
    const outbox = new FileOutbox({ dir, fileSystem });
    const streamer = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: PPC, outbox, retry: { baseDelayMs: 10, maxDelayMs: 50 } });
    const readErrors: unknown[] = [];
    streamer.addEventListener("error", (e) => {
      const error = (e as CustomEvent<{ error: unknown }>).detail.error;
      if ((error as { code?: unknown })?.code === "outbox_read_failed") readErrors.push(error);
    });
    proxy.setOutage(true);
    await pushAll(streamer, dataId);
    failing = true;
    proxy.setOutage(false);
    streamer.retryNow();
    await streamer.flush(dataId);
    expect(failures).toBe(40);
    expect(readErrors.length).toBeGreaterThan(0);
    expect(readErrors[0]).toMatchObject({ transient: true });
    expect(outbox.corruptSlices()).toEqual([]);
    const back = await readBack(emu, dataId);
    CHANNELS.forEach((name, c) => expect(back.properties[name]?.values, name).toEqual(Array.from({ length: CHUNKS * PPC }, (_, i) => value(c, i))));
    await streamer.close();
  }, 120_000);
});
