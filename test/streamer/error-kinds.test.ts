/**
 * The `error` event's `kind` names where a failure came from (issue 11): a request of slices, a queued
 * initialize, a sample link, a finalize, the outbox's failed read, refusal or drops, a writable's timer put
 * (the outbox's refusal: event-types.test.ts). Each
 * test makes one of them happen for real (the emulator process behind a fault proxy), checks the kind and
 * that kind's fields, and ends by reading the server back point by point.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FinalizeRefusedError, MemoryOutbox, SampleLinkError, TimeseriesStreamer, type StreamerErrorDetail } from "../../lib/index.js";
import { FileOutbox } from "../../lib/outbox/file.js";
import { nodeFileSystem, type FileSystem } from "../../lib/outbox/file-records.js";
import { BACKENDS, emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { expectExact, T0, type Points } from "./exact.js";

/** Resolves once `check()` holds (polled), or fails after `ms`. */
async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const points = (n: number, from = 0, base = 0): Points => Array.from({ length: n }, (_, i) => [T0 + (from + i) * 0.25, base + from + i]);
const ts = (p: Points) => p.map((x) => x[0]);
const vs = (p: Points) => p.map((x) => x[1]);

describe.each(BACKENDS)("error kinds (%s)", (backend) => {
  let emu: RunningEmulator;
  let proxy: FaultProxy;
  beforeAll(async () => {
    emu = await emulatorOn(backend);
    proxy = await startFaultProxy({ target: emu.url });
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await emu?.stop();
  });

  const streamer = (extra: Partial<ConstructorParameters<typeof TimeseriesStreamer>[0]> = {}) =>
    new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 10, timeoutMs: 5000, initializeTimeoutMs: 30_000, retry: { baseDelayMs: 20, maxDelayMs: 200 }, logger: () => {}, ...extra });

  it("request (transient, with its slices) while the server is down; initialize (transient) and sample-link for a stream started offline", async () => {
    proxy.setPolicy(undefined);
    proxy.setOutage(true);
    const s = streamer();
    // A second streamer that gives up on the platform quickly: its initialize is queued (a loaded machine
    // cannot make the first one's online initialize look like an outage).
    const quick = streamer({ initializeTimeoutMs: 300 });
    const errors: StreamerErrorDetail[] = [];
    s.addEventListener("error", (e) => errors.push(e.detail));
    quick.addEventListener("error", (e) => errors.push(e.detail));
    try {
      // A stream created online, then the server goes away: its requests fail as "request".
      proxy.setOutage(false);
      const online = await s.initialize({ streamName: "kinds: online" });
      expect(online).not.toMatch(/^local-/);
      proxy.setOutage(true);
      const a = points(20);
      await s.pushMulti(online, { chunkIndex: 0, channels: { a: { timestamps: ts(a.slice(0, 10)), values: vs(a.slice(0, 10)) } } });
      await s.push(online, { chunkIndex: 1, channelName: "a", timestamps: ts(a.slice(10)), values: vs(a.slice(10)) });
      await until(() => errors.some((e) => e.kind === "request"), "a failed request");
      const request = errors.find((e) => e.kind === "request")!;
      expect(request).toMatchObject({ kind: "request", dataId: online, classification: "transient", retryInMs: expect.any(Number) });
      if (request.kind !== "request") throw new Error("narrowed above");
      expect(request.slices.length).toBeGreaterThan(0);
      for (const k of request.slices) expect(k).toEqual({ channel: "a", chunkIndex: expect.any(Number) });

      // A stream started offline whose sample is a UUID the platform does not know: the initialize fails
      // while the server is down ("initialize"), then goes through, and its link is refused ("sample-link").
      const unknownSample = "00000000-0000-4000-8000-00000000abcd";
      const offline = await quick.initialize({ streamName: "kinds: offline", physicalSample: unknownSample });
      expect(offline).toMatch(/^local-/);
      const b = points(7, 0, 500);
      await quick.push(offline, { chunkIndex: 0, channelName: "b", timestamps: ts(b), values: vs(b) });
      await until(() => errors.some((e) => e.kind === "initialize" && e.dataId === offline), "a failed queued initialize");
      expect(errors.find((e) => e.kind === "initialize")).toMatchObject({ dataId: offline, classification: "transient" });
      expect(errors.some((e) => e.kind === "sample-link")).toBe(false);

      proxy.setOutage(false);
      s.retryNow();
      quick.retryNow();
      await s.flush(online);
      await quick.flush(offline);
      const link = errors.find((e) => e.kind === "sample-link");
      expect(link).toMatchObject({ kind: "sample-link", dataId: offline, classification: "permanent" });
      expect(link?.error).toBeInstanceOf(SampleLinkError);
      expect(link?.error).toMatchObject({ code: "sample_link_failed", dataId: offline, cause: expect.objectContaining({ field: "physicalSample", value: unknownSample }) });
      // Nothing else: every failure above has its own kind, none is reported as another.
      expect(new Set(errors.map((e) => e.kind))).toEqual(new Set(["request", "initialize", "sample-link"]));

      const platformId = quick.platformDataId(offline)!;
      expect(platformId).toBeDefined();
      await expectExact(emu, online, new Map([["a", a]]));
      await expectExact(emu, platformId, new Map([["b", b]]));
    } finally {
      proxy.setOutage(false);
      await s.close();
      await quick.close();
    }
  }, 120_000);

  it("finalize: a refused finalize reaches listeners as a FinalizeRefusedError", async () => {
    const detail = "finalize refused for the error-kinds test";
    proxy.setPolicy((req) => (req.method === "POST" && req.path.endsWith("/finalize") ? { kind: "status", status: 422, body: JSON.stringify({ detail }) } : { kind: "pass" }));
    const s = streamer();
    const errors: StreamerErrorDetail[] = [];
    s.addEventListener("error", (e) => errors.push(e.detail));
    try {
      const dataId = await s.initialize({ streamName: "kinds: finalize" });
      const x = points(15);
      await s.push(dataId, { chunkIndex: 0, channelName: "x", timestamps: ts(x.slice(0, 10)), values: vs(x.slice(0, 10)) });
      await s.push(dataId, { chunkIndex: 1, channelName: "x", timestamps: ts(x.slice(10)), values: vs(x.slice(10)) });
      await expect(s.finalize(dataId, { timeoutMs: 60_000 })).rejects.toBeInstanceOf(FinalizeRefusedError);
      const finalize = errors.filter((e) => e.kind === "finalize");
      expect(finalize).toHaveLength(1);
      expect(finalize[0]).toMatchObject({ dataId, classification: "permanent" });
      expect(finalize[0]!.error).toBeInstanceOf(FinalizeRefusedError);
      expect(finalize[0]!.error).toMatchObject({ code: "finalize_refused", status: 422, detail });
      await expectExact(emu, dataId, new Map([["x", x]]));
    } finally {
      proxy.setPolicy(undefined);
      await s.close();
    }
  }, 120_000);

  it("outbox-dropped: overflow drop-oldest names every dropped slice; the server holds exactly the others", async () => {
    proxy.setPolicy(undefined);
    const s = streamer({ outbox: new MemoryOutbox({ capacityBytes: 1200, overflow: "drop-oldest" }) });
    const errors: StreamerErrorDetail[] = [];
    s.addEventListener("error", (e) => errors.push(e.detail));
    try {
      const dataId = await s.initialize({ streamName: "kinds: dropped" });
      proxy.setOutage(true);
      const all = points(80);
      for (let c = 0; c < 8; c++) {
        const part = all.slice(c * 10, c * 10 + 10);
        await s.push(dataId, { chunkIndex: c, channelName: "d", timestamps: ts(part), values: vs(part) });
      }
      const dropped = errors.flatMap((e) => (e.kind === "outbox-dropped" ? e.dropped : []));
      expect(dropped.length).toBeGreaterThan(0);
      for (const e of errors.filter((x) => x.kind === "outbox-dropped")) expect(e.classification).toBe("storage");
      for (const d of dropped) expect(d).toMatchObject({ dataId, channel: "d", chunkIndex: expect.any(Number) });
      const droppedChunks = new Set(dropped.map((d) => d.chunkIndex));

      proxy.setOutage(false);
      s.retryNow();
      await s.flush(dataId);
      // The server holds every chunk that was not dropped, each at its own position; the dropped ones are absent.
      const kept: Points = [];
      const res = await fetch(`${emu.url}/tool-state/${dataId}/timeseries/`, { headers: { "X-API-KEY": emu.apiKey } });
      const held = ((await res.json()) as { properties: Record<string, { values: number[] }> }).properties["d"]!.values;
      for (let c = 0; c < 8; c++) if (!droppedChunks.has(c)) kept.push(...all.slice(c * 10, c * 10 + 10));
      expect(held).toEqual(vs(kept));
    } finally {
      proxy.setOutage(false);
      await s.close();
    }
  }, 120_000);

  it("outbox-read: slices the FileOutbox cannot read just now (EMFILE) are reported by key as transient, then sent", async () => {
    proxy.setPolicy(undefined);
    const dir = await mkdtemp(join(tmpdir(), "error-kinds-"));
    let failing = false;
    let failures = 0;
    const fileSystem: FileSystem = {
      ...nodeFileSystem,
      readFile: (async (path: string, options: unknown) => {
        if (failing && String(path).includes("slices") && failures < 3) {
          failures++;
          throw Object.assign(new Error(`EMFILE: too many open files, open '${path}'`), { code: "EMFILE" });
        }
        return nodeFileSystem.readFile(path, options as BufferEncoding);
      }) as FileSystem["readFile"],
    };
    const s = streamer({ outbox: new FileOutbox({ dir, fileSystem }) });
    const errors: StreamerErrorDetail[] = [];
    s.addEventListener("error", (e) => errors.push(e.detail));
    try {
      const dataId = await s.initialize({ streamName: "kinds: outbox read" });
      proxy.setOutage(true);
      const r = points(30);
      for (let c = 0; c < 3; c++) await s.push(dataId, { chunkIndex: c, channelName: "r", timestamps: ts(r.slice(c * 10, c * 10 + 10)), values: vs(r.slice(c * 10, c * 10 + 10)) });
      failing = true;
      proxy.setOutage(false);
      s.retryNow();
      await s.flush(dataId);
      expect(failures).toBe(3);
      const reads = errors.filter((e) => e.kind === "outbox-read");
      expect(reads.length).toBeGreaterThan(0);
      for (const e of reads) {
        expect(e).toMatchObject({ dataId, classification: "transient", error: expect.objectContaining({ code: "outbox_read_failed", transient: true }) });
        if (e.kind === "outbox-read") for (const k of e.slices) expect(k).toEqual({ channel: "r", chunkIndex: expect.any(Number) });
      }
      // A local read failure is not a failed request.
      expect(errors.filter((e) => e.kind === "request" && e.error === reads[0]!.error)).toEqual([]);
      await expectExact(emu, dataId, new Map([["r", r]]));
    } finally {
      proxy.setOutage(false);
      await s.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("partial-put: a writable's timer put that fails is reported; its readings are durable and the next run sends them", async () => {
    proxy.setPolicy(undefined);
    const dir = await mkdtemp(join(tmpdir(), "error-kinds-"));
    try {
      const first = streamer({ outbox: new FileOutbox({ dir }) });
      const errors: StreamerErrorDetail[] = [];
      first.addEventListener("error", (e) => errors.push(e.detail));
      const dataId = await first.initialize({ streamName: "kinds: partial put" });
      const w = points(4);
      // (A latency long enough that the write and the close below finish first, however loaded the machine.)
      const writer = first.writable(dataId, { maxLatencyMs: 4000 }).getWriter();
      await writer.write(w.map(([t, value]) => ({ channel: "w", t, value }))); // durable: the open chunk is in the stream state
      await first.close(); // before the latency timer fires: its partial put finds the streamer closed
      await until(() => errors.some((e) => e.kind === "partial-put"), "the timer's failed put");
      expect(errors.find((e) => e.kind === "partial-put")).toMatchObject({ kind: "partial-put", dataId, classification: "storage", error: expect.any(Error) });

      const second = streamer({ outbox: new FileOutbox({ dir }) });
      try {
        await second.ready;
        await second.flush(dataId);
        await expectExact(emu, dataId, new Map([["w", w]]));
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
