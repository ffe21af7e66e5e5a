/**
 * The streamer's events are typed (issue 11): `npx tsc --noEmit` checks this file — listeners read their
 * `detail` without a cast, each event has one detail type, connection changes and stream phases are two
 * events, and local storage failures say "storage", not the server's "permanent". The runtime part
 * checks that the events a live streamer dispatches match those types.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  FinalizeRefusedError,
  MemoryOutbox,
  SampleLinkError,
  TimeseriesStreamer,
  type DropRecord,
  type StreamerErrorDetail,
  type TimeseriesStreamerEventMap,
  type UploaderState,
} from "../../lib/index.js";

describe("typed events", () => {
  it("listeners read detail without a cast (type-checked by tsc)", () => {
    const streamer = new TimeseriesStreamer({ apiKey: "k", endpoint: "http://127.0.0.1:9", outbox: new MemoryOutbox(), logger: () => {} });
    const seen: number[] = [];
    streamer.addEventListener("progress", (e) => seen.push(e.detail.ackedPoints));
    streamer.addEventListener("connection", (e) => expectTypeOf(e.detail.connection).toEqualTypeOf<UploaderState>());
    streamer.addEventListener("state", (e) => {
      expectTypeOf(e.detail.dataId).toEqualTypeOf<string>();
      // @ts-expect-error: the uploader's connection is its own event now
      void e.detail.connection;
    });
    streamer.addEventListener("storage", (e) => expectTypeOf(e.detail.storage).toEqualTypeOf<"quota-exceeded" | "full">());
    streamer.addEventListener("error", (e) => {
      expectTypeOf(e.detail.classification).toEqualTypeOf<"transient" | "auth" | "permanent" | "storage">();
    });
    expectTypeOf<TimeseriesStreamerEventMap["progress"]["ackedPoints"]>().toEqualTypeOf<number>();
    // @ts-expect-error: not an event of the streamer's map (a typo is caught when the listener reads detail)
    streamer.addEventListener("progres", (e: CustomEvent<{ ackedPoints: number }>) => seen.push(e.detail.ackedPoints));
    expect(seen).toEqual([]);
    return streamer.close();
  });

  it("every event of the map: a listener reads its detail without a cast (type-checked by tsc)", () => {
    const streamer = new TimeseriesStreamer({ apiKey: "k", endpoint: "http://127.0.0.1:9", outbox: new MemoryOutbox(), logger: () => {} });
    // The map holds these events and no others: a new event must be added here too.
    expectTypeOf<keyof TimeseriesStreamerEventMap>().toEqualTypeOf<
      "progress" | "error" | "quarantine" | "state" | "connection" | "storage" | "initialized" | "corrupt" | "verify" | "foreign"
    >();
    const read: unknown[] = [];
    streamer.addEventListener("progress", (e) => read.push(e.detail.dataId, e.detail.ackedPoints, e.detail.acceptedPoints, e.detail.pendingSlices));
    streamer.addEventListener("error", (e) => read.push(e.detail.kind, e.detail.error.message, e.detail.classification));
    streamer.addEventListener("quarantine", (e) => read.push(e.detail.dataId, e.detail.slices[0]?.chunkIndex, e.detail.slices[0]?.points, e.detail.slices[0]?.detail));
    streamer.addEventListener("state", (e) => read.push(e.detail.phase));
    streamer.addEventListener("connection", (e) => read.push(e.detail.connection));
    streamer.addEventListener("storage", (e) => read.push(e.detail.dataId, e.detail.storage));
    streamer.addEventListener("initialized", (e) => read.push(e.detail.dataId, e.detail.platformDataId));
    streamer.addEventListener("corrupt", (e) => read.push(e.detail.dataId, e.detail.slices[0]?.chunkIndex));
    streamer.addEventListener("verify", (e) => read.push(e.detail.rounds, e.detail.agreed, e.detail.gaveUp, e.detail.differing[0]?.channel));
    streamer.addEventListener("foreign", (e) => read.push(e.detail.slices, e.detail.streams[0]?.endpoint));
    // The listener object form and removeEventListener are typed too.
    const handler = { handleEvent: (e: CustomEvent<TimeseriesStreamerEventMap["progress"]>) => read.push(e.detail.ackedPoints) };
    streamer.addEventListener("progress", handler);
    streamer.removeEventListener("progress", handler);
    expect(read).toEqual([]);
    return streamer.close();
  });

  it("the error event's detail is a union by kind: a switch narrows every kind without a cast (type-checked by tsc)", () => {
    // What a consumer writes: each branch reads its own kind's fields; the default proves the switch is exhaustive.
    const describe = (d: StreamerErrorDetail): string => {
      switch (d.kind) {
        case "request":
          return `${d.classification} ${d.slices.map((s) => `${s.channel}#${s.chunkIndex}`).join(",")} ${d.retryInMs ?? ""}`;
        case "initialize":
          return `${d.dataId} ${d.classification} ${d.retryInMs ?? ""}`;
        case "sample-link":
          expectTypeOf(d.error).toEqualTypeOf<SampleLinkError>();
          return `${d.error.code} ${d.dataId}`;
        case "finalize":
          return d.error instanceof FinalizeRefusedError ? `${d.error.code} ${d.error.status}` : d.error.message;
        case "outbox-read":
          expectTypeOf(d.classification).toEqualTypeOf<"transient">();
          return `${d.slices.length}`;
        case "outbox-refused":
          expectTypeOf(d.classification).toEqualTypeOf<"storage">();
          return `${d.refused.length} ${d.dataId}`;
        case "outbox-dropped":
          expectTypeOf(d.dropped).toEqualTypeOf<DropRecord[]>();
          return `${d.dropped.length}`;
        case "partial-put":
          return `${d.dataId} ${d.error.message}`;
        default: {
          const never: never = d;
          return never;
        }
      }
    };
    expectTypeOf<StreamerErrorDetail["kind"]>().toEqualTypeOf<
      "request" | "initialize" | "sample-link" | "finalize" | "outbox-read" | "outbox-refused" | "outbox-dropped" | "partial-put"
    >();
    expectTypeOf<TimeseriesStreamerEventMap["error"]>().toEqualTypeOf<StreamerErrorDetail>();
    const error = new Error("x");
    expect(describe({ kind: "outbox-dropped", error, classification: "storage", dropped: [] })).toBe("0");
    expect(describe({ kind: "request", error, dataId: "d", classification: "transient", retryInMs: 5, slices: [{ channel: "a", chunkIndex: 2 }] })).toBe("transient a#2 5");
    // @ts-expect-error: a request failure names its slices
    const noSlices: StreamerErrorDetail = { kind: "request", error, dataId: "d", classification: "transient" };
    // @ts-expect-error: an outbox refusal is classified "storage", never as the server's "permanent"
    const permanent: StreamerErrorDetail = { kind: "outbox-refused", error, dataId: "d", classification: "permanent", refused: [] };
    expect([noSlices.kind, permanent.kind]).toEqual(["request", "outbox-refused"]);
  });

  it("a full outbox (overflow error): the put rejects, an error classified storage names the keys, a storage event follows", async () => {
    const outbox = new MemoryOutbox({ capacityBytes: 400, overflow: "error" });
    const streamer = new TimeseriesStreamer({ apiKey: "k", endpoint: "http://127.0.0.1:9", outbox, logger: () => {}, retry: { baseDelayMs: 60_000, maxDelayMs: 60_000 } });
    const errors: Array<TimeseriesStreamerEventMap["error"]> = [];
    const storage: Array<TimeseriesStreamerEventMap["storage"]> = [];
    streamer.addEventListener("error", (e) => errors.push(e.detail));
    streamer.addEventListener("storage", (e) => storage.push(e.detail));
    const values = Array.from({ length: 50 }, (_, i) => i);
    const timestamps = values.map((i) => 1_764_000_000 + i);
    // The first put always fits (an empty outbox takes it); the ones after it do not.
    let rejected: unknown;
    for (let c = 0; c < 3 && rejected === undefined; c++) {
      rejected = await streamer.push("some-stream", { chunkIndex: c, channelName: "x", timestamps, values }).then(() => undefined, (e: unknown) => e);
    }
    expect((rejected as { code?: string }).code).toBe("outbox_full");
    // (The unreachable endpoint adds transient errors; the outbox's refusal is the one error of the outbox.)
    const local = errors.filter((e) => (e.error as { code?: string })?.code === "outbox_full");
    expect(local).toEqual([expect.objectContaining({ kind: "outbox-refused", classification: "storage", dataId: "some-stream", refused: [{ channel: "x", chunkIndex: expect.any(Number) }] })]);
    expect(storage).toEqual([{ dataId: "some-stream", storage: "full" }]);
    await streamer.close();
  });
});
