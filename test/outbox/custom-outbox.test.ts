/**
 * A custom outbox implements the exported `Outbox` interface without subclassing BaseOutbox: here one
 * that delegates to a MemoryOutbox and records what the uploader asks of it. A TimeseriesStreamer takes
 * it, sends every point through its claims and batched reads, and the server holds every point in place.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryOutbox, TimeseriesStreamer, type Claim, type NewSlice, type Outbox, type OutboxEvent, type SliceMeta, type StreamState } from "../../lib/index.js";
import type { SliceKey } from "../../lib/types.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { expectExact, T0, type Points } from "../streamer/exact.js";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

class RecordingOutbox implements Outbox {
  readonly kind = "recording";
  readonly #inner = new MemoryOutbox();
  readonly claims: number[] = [];
  readonly batchReads: number[] = [];
  /** Slices read but not claimed at the time: must stay 0. */
  unclaimedReads = 0;
  get durable() { return this.#inner.durable; }
  get overflow() { return this.#inner.overflow; }
  get capacityBytes() { return this.#inner.capacityBytes; }
  get usedBytes() { return this.#inner.usedBytes; }
  get droppedSlices() { return this.#inner.droppedSlices; }
  get droppedPoints() { return this.#inner.droppedPoints; }
  get order() { return this.#inner.order; }
  open() { return this.#inner.open(); }
  on(listener: (event: OutboxEvent) => void) { return this.#inner.on(listener); }
  full(bytes?: number) { return this.#inner.full(bytes); }
  waitForSpace(bytes?: number) { return this.#inner.waitForSpace(bytes); }
  put(slices: NewSlice[], streams?: StreamState[]) { return this.#inner.put(slices, streams); }
  read(key: SliceKey) { return this.#inner.read(key); }
  readAll(keys: SliceKey[]) {
    this.batchReads.push(keys.length);
    for (const k of keys) if (!this.#inner.isClaimed(k)) this.unclaimedReads++;
    return this.#inner.readAll(keys);
  }
  get(key: SliceKey) { return this.#inner.get(key); }
  slices(dataId?: string) { return this.#inner.slices(dataId); }
  corruptSlices(dataId?: string) { return this.#inner.corruptSlices(dataId); }
  summary(dataId: string) { return this.#inner.summary(dataId); }
  pendingCount(dataId: string) { return this.#inner.pendingCount(dataId); }
  claim(metas: SliceMeta[]): Promise<Claim> {
    this.claims.push(metas.length);
    return this.#inner.claim(metas);
  }
  isClaimed(key: SliceKey) { return this.#inner.isClaimed(key); }
  claimedCount(dataId?: string) { return this.#inner.claimedCount(dataId); }
  ack(key: SliceKey, version: number) { return this.#inner.ack(key, version); }
  ackAll(acks: ReadonlyArray<SliceKey & { version: number }>) { return this.#inner.ackAll(acks); }
  remove(keys: SliceKey[]) { return this.#inner.remove(keys); }
  quarantine(key: SliceKey, version: number, info: Parameters<Outbox["quarantine"]>[2]) { return this.#inner.quarantine(key, version, info); }
  getStream(dataId: string) { return this.#inner.getStream(dataId); }
  streams() { return this.#inner.streams(); }
  putStream(state: StreamState) { return this.#inner.putStream(state); }
  pruneFinalized() { return this.#inner.pruneFinalized(); }
  storageInfo() { return this.#inner.storageInfo(); }
  close() { return this.#inner.close(); }
}

describe("a custom Outbox (no subclass of BaseOutbox)", () => {
  it("carries a stream end to end: every request claimed, read in one batch, acknowledged; the server holds every point", async () => {
    const outbox = new RecordingOutbox();
    const streamer = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: emu.url, pointsPerChunk: 5, outbox });
    expect(streamer.outbox).toBe(outbox);
    const dataId = await streamer.initialize({ streamName: "custom outbox" });
    const expected = new Map<string, Points>([["T", []], ["P", []]]);
    for (let chunk = 0; chunk < 5; chunk++) {
      const ts = [0, 1, 2, 3, 4].map((i) => T0 + chunk * 5 + i);
      for (const [channel, base] of [["T", 0], ["P", 100]] as const) {
        const values = ts.map((t) => base + (t - T0));
        expected.get(channel)!.push(...ts.map((t, i): [number, number] => [t, values[i]!]));
        await streamer.push(dataId, { chunkIndex: chunk, channelName: channel, timestamps: ts, values });
      }
    }
    await streamer.flush(dataId);
    expect(outbox.pendingCount(dataId)).toBe(0);
    expect(outbox.claimedCount()).toBe(0); // every claim released
    expect(outbox.claims.length).toBeGreaterThan(0);
    expect(outbox.batchReads.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10); // 5 chunks × 2 channels at least
    expect(outbox.unclaimedReads).toBe(0);
    await expectExact(emu, dataId, expected);
    await streamer.close();
  }, 60_000);
});
