/**
 * Any channel name the platform accepts works (issue 10, failure 4): names that are also Object.prototype
 * names travel through push, pushMulti (a Map, or an object with own keys) and writable(), and the server
 * holds every point at its position. NUL in a channel name, units or a stream name is refused up front,
 * naming the field (failure 5's cause). Empty slices are refused or left out (issue 12).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidInputError, TimeseriesStreamer, type Reading } from "../../lib/index.js";
import { Chunker } from "../../lib/streams/chunker.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { expectExact, T0, type Points } from "./exact.js";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

const PROTO_NAMES = ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf"];
const streamer = () => new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: emu.url, pointsPerChunk: 5 });

describe("channel names", () => {
  it("prototype names through pushMulti (Map and own keys), push and writable: every point in place", async () => {
    const s = streamer();
    const dataId = await s.initialize({ streamName: "prototype names" });
    const expected = new Map<string, Points>(PROTO_NAMES.map((n) => [n, []]));
    const pts = (name: string, i: number): [number, number] => [T0 + i, PROTO_NAMES.indexOf(name) * 100 + i];
    // chunk 0: pushMulti with a Map
    const map = new Map(PROTO_NAMES.map((n) => {
      const p = [0, 1, 2, 3, 4].map((i) => pts(n, i));
      expected.get(n)!.push(...p);
      return [n, { timestamps: p.map((x) => x[0]), values: p.map((x) => x[1]) }] as const;
    }));
    await s.pushMulti(dataId, { chunkIndex: 0, channels: map });
    // chunk 1: pushMulti with an object whose keys are its own (JSON.parse makes `__proto__` an own key)
    const own = JSON.parse("{}") as Record<string, { timestamps: number[]; values: number[] }>;
    for (const n of PROTO_NAMES) {
      const p = [5, 6, 7, 8, 9].map((i) => pts(n, i));
      expected.get(n)!.push(...p);
      Object.defineProperty(own, n, { value: { timestamps: p.map((x) => x[0]), values: p.map((x) => x[1]) }, enumerable: true });
    }
    await s.pushMulti(dataId, { chunkIndex: 1, channels: own });
    // chunk 2: push, one at a time
    for (const n of PROTO_NAMES) {
      const p = [10, 11, 12, 13, 14].map((i) => pts(n, i));
      expected.get(n)!.push(...p);
      await s.push(dataId, { chunkIndex: 2, channelName: n, timestamps: p.map((x) => x[0]), values: p.map((x) => x[1]) });
    }
    // then readings through writable(), continuing at chunk 3
    const readings: Reading[] = [];
    for (let i = 15; i < 27; i++) {
      for (const n of PROTO_NAMES) {
        const [t, value] = pts(n, i);
        expected.get(n)!.push([t, value]);
        readings.push({ channel: n, t, value, units: "u" });
      }
    }
    const quarantined: unknown[] = [];
    s.addEventListener("quarantine", (e) => quarantined.push(e.detail));
    await new ReadableStream<Reading[]>({ start: (c) => { c.enqueue(readings); c.close(); } }).pipeTo(s.writable(dataId, { maxLatencyMs: 0 }));
    expect(quarantined).toEqual([]);
    expect(s.stats(dataId)).toMatchObject({ state: "finalized", acceptedPoints: 27 * PROTO_NAMES.length, ackedPoints: 27 * PROTO_NAMES.length, quarantined: 0 });
    await expectExact(emu, dataId, expected);
    await s.close();
  }, 120_000);

  it("NUL in a channel name, units or stream name is refused up front, naming the field; nothing is accepted", async () => {
    const s = streamer();
    await expect(s.initialize({ streamName: "bad\u0000name" })).rejects.toThrow(/streamName contains a NUL character/);
    await expect(s.initialize({ tags: ["ok", "t\u0000"] })).rejects.toThrow(/tags\[1\] contains a NUL character/);
    const dataId = await s.initialize({ streamName: "nul" });
    const good = { chunkIndex: 0, timestamps: [T0], values: [1] };
    await expect(s.push(dataId, { ...good, channelName: "a\u0000b" })).rejects.toThrow(/channelName contains a NUL character/);
    await expect(s.push(dataId, { ...good, channelName: "a", units: "m\u0000" })).rejects.toThrow(/units contains a NUL character/);
    await expect(s.pushMulti(dataId, { chunkIndex: 0, channels: { ok: good, "x\u0000": good } })).rejects.toBeInstanceOf(InvalidInputError);
    const w = s.writable(dataId, { maxLatencyMs: 0, finalizeOnClose: false }).getWriter();
    await expect(w.write({ channel: "T\u0000", t: T0, value: 1 })).rejects.toThrow(/readings?.*channel contains a NUL character/);
    await expect(w.write([{ channel: "T", t: T0, value: 1, units: "\u0000" }])).rejects.toThrow();
    expect(s.stats(dataId).acceptedPoints).toBe(0);
    await s.finalize(dataId);
    expect((await (await fetch(`${emu.url}/tool-state/${dataId}/timeseries/`, { headers: { "X-API-KEY": emu.apiKey } })).json()).properties).toEqual({});
    await s.close();
  }, 60_000);

  it("empty slices: push refuses, pushMulti leaves empty channels out (all empty refuses), the chunker never emits one", async () => {
    const s = streamer();
    const dataId = await s.initialize({ streamName: "empty" });
    await expect(s.push(dataId, { chunkIndex: 0, channelName: "a", timestamps: [], values: [] })).rejects.toThrow(/values must hold at least one point/);
    await expect(s.pushMulti(dataId, { chunkIndex: 0, channels: { a: { timestamps: [], values: [] } } })).rejects.toThrow(/channels must hold at least one channel with points/);
    await s.pushMulti(dataId, { chunkIndex: 0, channels: { a: { timestamps: [], values: [] }, b: { timestamps: [T0, T0 + 1], values: [7, 8] } } });
    expect((await s.finalize(dataId)).status).toBe("finalized");
    await expectExact(emu, dataId, new Map([["b", [[T0, 7], [T0 + 1, 8]]]]));
    const chunker = new Chunker({ pointsPerChunk: 2 });
    expect(chunker.add([{ channel: "x", t: T0, value: 1 }, { channel: "x", t: T0 + 1, value: 2 }])).toHaveLength(1);
    expect(chunker.partials()).toEqual([]);
    expect(chunker.seal()).toEqual([]);
    await s.close();
  }, 60_000);
});
