/**
 * The streamer's events are typed (issue 11): `npx tsc --noEmit` checks this file — listeners read their
 * `detail` without a cast, each event has one detail type, connection changes and stream phases are two
 * events, and local storage failures say "storage", not the server's "permanent". The runtime part
 * checks that the events a live streamer dispatches match those types.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { MemoryOutbox, TimeseriesStreamer, type TimeseriesStreamerEventMap, type UploaderState } from "../../lib/index.js";

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
    expect(local).toEqual([expect.objectContaining({ classification: "storage", dataId: "some-stream", refused: [{ channel: "x", chunkIndex: expect.any(Number) }] })]);
    expect(storage).toEqual([{ dataId: "some-stream", storage: "full" }]);
    await streamer.close();
  });
});
