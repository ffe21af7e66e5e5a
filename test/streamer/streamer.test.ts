/** TimeseriesStreamer against the real emulator: the seed's API, the streams API, bad input, stats. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidInputError, SampleLinkError, TimeseriesStreamer, type Reading } from "../../lib/index.js";
import { emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";

const T0 = 1_764_000_000;
let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

function streamer(extra: Partial<ConstructorParameters<typeof TimeseriesStreamer>[0]> = {}) {
  return new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: emu.url, pointsPerChunk: 10, ...extra });
}

describe("TimeseriesStreamer: the seed's API", () => {
  it("initialize links a physical sample by name (case-insensitive, created once) and tracks it in the project", async () => {
    const s = streamer();
    const project = "5a0c3d52-0000-4000-8000-00000000abcd";
    const [instrument] = await s.client.listGrowthInstruments();
    const first = await s.initialize({ streamName: "MBE growth - temperature log", physicalSample: " GaN-001 ", synthSourceId: instrument!.synthSourceId, projectId: project });
    const second = await s.initialize({ streamName: "second run", physicalSample: "gan-001" });
    const samples = (await s.client.listPhysicalSamples()).filter((x) => x.name?.toLowerCase() === "gan-001");
    expect(samples).toHaveLength(1);
    const entries = await s.client.listDataEntries({ dataIds: [first, second] });
    expect(entries.map((e) => e.physicalSampleId)).toEqual([samples[0]!.id, samples[0]!.id]);
    expect(entries[0]).toMatchObject({ rawName: "MBE growth - temperature log", synthSourceId: instrument!.synthSourceId, projects: [{ id: project }] });
    const config = await http(emu)("GET", `/projects/${project}/configuration`);
    expect(config.body.active_tracking_physical_sample_id).toBe(samples[0]!.id);
    // by UUID: must exist
    const third = await s.initialize({ physicalSample: samples[0]!.id });
    expect((await s.client.listDataEntries({ dataIds: [third] }))[0]?.physicalSampleId).toBe(samples[0]!.id);
    const missing = "00000000-0000-4000-8000-0000000000aa";
    await expect(s.initialize({ physicalSample: missing })).rejects.toThrow(/was created, but linking physical sample .*matches no physical sample/);
    // An error class with a stable code, the created stream's id and the link's failure as its cause.
    const linkError = await s.initialize({ physicalSample: missing }).catch((e: unknown) => e);
    expect(linkError).toBeInstanceOf(SampleLinkError);
    expect(linkError).toMatchObject({ code: "sample_link_failed", name: "SampleLinkError", cause: expect.objectContaining({ field: "physicalSample" }) });
    expect((await s.client.listDataEntries({ dataIds: [(linkError as SampleLinkError).dataId] })).length).toBe(1);
    await s.close();
  });

  it("push, pushMulti and run land every point at its position; finalize reports finalized", async () => {
    const s = streamer();
    const dataId = await s.initialize({ streamName: "seed api" });
    const ts = (chunk: number, n = 10) => Array.from({ length: n }, (_, i) => T0 + chunk * 10 + i);
    await s.push(dataId, { chunkIndex: 0, channelName: "temperature", timestamps: ts(0), values: ts(0).map((t) => t - T0), units: "C" });
    await s.pushMulti(dataId, {
      chunkIndex: 1,
      channels: {
        temperature: { timestamps: ts(1), values: ts(1).map((t) => t - T0), units: "C" },
        pressure: { timestamps: ts(1), values: ts(1).map(() => 1e-7), units: "mbar" },
      },
    });
    async function* chunks() {
      for (let c = 0; c < 3; c++) yield [ts(c), ts(c).map((t) => (t - T0) / 2)] as const;
    }
    await s.run(dataId, { channelName: "rate", dataIter: chunks(), units: "nm/s" });
    const result = await s.finalize(dataId);
    expect(result).toEqual({ status: "finalized", unsent: [], quarantined: [], corrupt: [], unverified: [] });
    const back = await s.client.getTimeseries(dataId);
    expect(back?.properties.temperature?.values).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(back?.properties.pressure?.values).toEqual(Array(10).fill(1e-7));
    expect(back?.properties.rate?.values).toEqual(Array.from({ length: 30 }, (_, i) => i / 2));
    expect((await s.client.listDataEntries({ dataIds: [dataId] }))[0]?.pipelineStatus).toBe("success");
    const st = s.stats(dataId);
    expect(st).toMatchObject({ acceptedPoints: 60, ackedPoints: 60, pendingSlices: 0, inFlight: 0, quarantined: 0, state: "finalized" });
    await expect(s.push(dataId, { chunkIndex: 9, channelName: "temperature", timestamps: [T0], values: [1] })).rejects.toThrow(/finalized/);
    await s.close();
  });

  it("refuses bad input before accepting any of it, naming the field and the value", async () => {
    const s = streamer();
    const dataId = await s.initialize();
    const good = { chunkIndex: 0, channelName: "x", timestamps: [T0, T0 + 1], values: [1, 2] };
    const cases: Array<[object, RegExp]> = [
      [{ ...good, chunkIndex: -1 }, /chunkIndex must be a whole number ≥ 0 \(got -1\)/],
      [{ ...good, chunkIndex: 1.5 }, /chunkIndex must be a whole number ≥ 0 \(got 1.5\)/],
      [{ ...good, channelName: "" }, /channelName must be 1–255 characters long, not 0/],
      [{ ...good, values: [1] }, /values must have as many entries as timestamps \(2\), not 1/],
      [{ ...good, values: [1, Number.NaN] }, /values\[1\] must be a finite number \(got NaN\)/],
      [{ ...good, timestamps: [T0 * 1000, T0 * 1000 + 1] }, /timestamps\[0\] looks like milliseconds.*1764000000\.000/],
      [{ ...good, timestamps: Array(11).fill(T0), values: Array(11).fill(1) }, /holds 11 points, more than the stream's pointsPerChunk \(10\)/],
    ];
    for (const [params, message] of cases) {
      const error = await s.push(dataId, params as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).toMatch(message);
    }
    const multi = await s.pushMulti(dataId, { chunkIndex: 0, channels: { ok: { timestamps: [T0], values: [1] }, bad: { timestamps: [T0], values: [Infinity] } } }).catch((e: unknown) => e);
    expect((multi as Error).message).toMatch(/channels\.bad\.values\[0\] must be a finite number \(got Infinity\)/);
    await expect(s.push("", good)).rejects.toThrow(/dataId must be the non-empty data id/);
    expect(s.stats(dataId).acceptedPoints).toBe(0); // nothing of a refused call was taken
    expect(() => new TimeseriesStreamer({ apiKey: "k", pointsPerChunk: 0 })).toThrow(/pointsPerChunk must be a whole number ≥ 1 \(got 0\)/);
    await s.close();
  });
});

describe("TimeseriesStreamer: the streams API", () => {
  it("readable.pipeTo(streamer.writable(dataId)) lands every reading and finalizes on close", async () => {
    const s = streamer();
    const dataId = await s.initialize({ streamName: "pipe" });
    const n = 95;
    const readings = new ReadableStream<Reading[]>({
      start(c) {
        for (let i = 0; i < n; i += 5) {
          c.enqueue(Array.from({ length: 5 }, (_, k) => [
            { channel: "T", t: T0 + i + k, value: 500 + i + k, units: "C" },
            { channel: "P", t: T0 + i + k, value: (i + k) * 1e-9, units: "mbar" },
          ]).flat());
        }
        c.close();
      },
    });
    const states: unknown[] = [];
    s.addEventListener("state", (e) => states.push((e as CustomEvent).detail));
    await readings.pipeTo(s.writable(dataId, { maxLatencyMs: 200 }));
    const back = await s.client.getTimeseries(dataId);
    expect(back?.properties.T?.values).toEqual(Array.from({ length: n }, (_, i) => 500 + i));
    expect(back?.properties.P?.values).toEqual(Array.from({ length: n }, (_, i) => i * 1e-9));
    expect(back?.properties.P?.units).toBe("mbar");
    expect(s.stats(dataId)).toMatchObject({ acceptedPoints: 2 * n, ackedPoints: 2 * n, state: "finalized" });
    expect(states).toContainEqual({ dataId, phase: "finalized" });
    await s.close();
  });

  it("a bad reading rejects its write with the field named, and what was accepted before still arrives", async () => {
    const s = streamer();
    const dataId = await s.initialize();
    const w = s.writable(dataId, { maxLatencyMs: 0 }).getWriter();
    await w.write([{ channel: "a", t: T0, value: 1 }, { channel: "a", t: T0 + 1, value: 2 }]);
    await expect(w.write({ channel: "a", t: T0 + 2, value: Number.NaN })).rejects.toThrow(/reading\.value must be a finite number \(got NaN\)/);
    await s.flush(dataId);
    expect((await s.client.getTimeseries(dataId))?.properties.a?.values).toEqual([1, 2]);
    // a new writable continues after the sealed chunk
    const w2 = s.writable(dataId, { maxLatencyMs: 0 }).getWriter();
    await w2.write({ channel: "a", t: T0 + 3, value: 3 });
    await w2.close();
    const back = await s.client.getTimeseries(dataId);
    expect(back?.properties.a?.values).toEqual([1, 2, 3]);
    await s.close();
  });

  it("finalize while a writable is still open seals its open chunk first: nothing accepted is lost", async () => {
    const s = streamer();
    const dataId = await s.initialize();
    const w = s.writable(dataId, { maxLatencyMs: 0 }).getWriter();
    await w.write(Array.from({ length: 13 }, (_, i) => ({ channel: "a", t: T0 + i, value: i })));
    const result = await s.finalize(dataId);
    expect(result.status).toBe("finalized");
    expect((await s.client.getTimeseries(dataId))?.properties.a?.values).toEqual(Array.from({ length: 13 }, (_, i) => i));
    await expect(w.write({ channel: "a", t: T0 + 20, value: 1 })).rejects.toThrow(/being finalized/);
    await s.close();
  });
});
