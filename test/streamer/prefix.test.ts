/**
 * The stream path prefix (issue 12): the streamer creates streams on `/tool-state` and falls back to
 * `/metrology` when `initialize` answers 404/405 there; the prefix is remembered per stream and used for
 * all its requests and its read-back (verify). Against emulators serving only one of the two
 * (`serve --stream-prefix P`), on PGlite and PostgreSQL. Each ends with a point-by-point read-back.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ApiError, TimeseriesStreamer } from "../../lib/index.js";
import { BACKENDS, emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { expectExact, pipelineStatus, T0, type Points } from "./exact.js";

const running: RunningEmulator[] = [];
afterAll(async () => {
  await Promise.all(running.map((e) => e.stop()));
});

describe.each(BACKENDS)("stream prefix on %s", (backend) => {
  it.each(["/metrology", "/tool-state"] as const)("an emulator serving only %s: created there, sent there, verified there, finalized", async (prefix) => {
    const emu = await emulatorOn(backend, ["--stream-prefix", prefix]);
    running.push(emu);
    const other = prefix === "/metrology" ? "/tool-state" : "/metrology";
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: emu.url, pointsPerChunk: 10 });
    const dataId = await s.initialize({ streamName: `only ${prefix}` });
    expect(s.outbox.getStream(dataId)?.streamPrefix).toBe(prefix);
    expect(s.clientFor(dataId).streamPrefix).toBe(prefix);
    const points: Points = Array.from({ length: 35 }, (_, i) => [T0 + i * 0.25, i * 3]);
    await s.run(dataId, {
      channelName: "T",
      dataIter: [0, 1, 2, 3].map((c) => {
        const part = points.slice(c * 10, c * 10 + 10);
        return [part.map((p) => p[0]), part.map((p) => p[1])] as const;
      }),
    });
    const result = await s.finalize(dataId);
    expect(result).toMatchObject({ status: "finalized", unsent: [], quarantined: [], corrupt: [], unverified: [] });
    expect(s.stats(dataId)).toMatchObject({ verify: "agreed", state: "finalized" });
    await expectExact(emu, dataId, new Map([["T", points]]), prefix);
    expect((await s.clientFor(dataId).getTimeseries(dataId))?.properties.T?.values).toEqual(points.map((p) => p[1]));
    expect(await pipelineStatus(emu, dataId)).toBe("success");
    // the other prefix is not served there
    const res = await fetch(`${emu.url}${other}/${dataId}/timeseries/`, { headers: { "X-API-KEY": emu.apiKey } });
    expect(res.status).toBe(404);
    // a forced prefix is not second-guessed
    const forced = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: emu.url, streamPrefix: other });
    await expect(forced.initialize({ streamName: "forced" })).rejects.toBeInstanceOf(ApiError);
    await forced.close();
    await s.close();
  }, 120_000);
});
