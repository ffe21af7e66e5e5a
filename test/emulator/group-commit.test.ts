/**
 * Group commit: the requests that arrive while a statement runs are stored together by the next one.
 * Requests of different fates sent all at once — stored, too long (422), to a finalized stream (409), to
 * an unknown one (404) — each get their own answer; the server holds exactly the stored points, and the
 * totals count each of them once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";

const T0 = 1_764_000_000;
const PPC = 10;
const CHANNELS = ["a", "b", "c"];

function points(channel: number, chunk: number, n: number) {
  const timestamps: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    timestamps.push(T0 + (chunk * PPC + i) * 0.01);
    values.push(channel * 1e6 + chunk * PPC + i + 0.5);
  }
  return { timestamps, values };
}

describe.each(BACKENDS)("group commit on %s", (backend) => {
  let emu: RunningEmulator;
  let call: ReturnType<typeof http>;
  beforeAll(async () => {
    emu = await emulatorOn(backend);
    call = http(emu);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it("requests of different fates sent at once are answered each on its own; read-back holds exactly the stored points", async () => {
    const init = async () => (await call("POST", "/tool-state/stream/initialize", { points_per_chunk: PPC })).body.data_id as string;
    const [open, other, closed] = [await init(), await init(), await init()];
    expect((await call("POST", `/tool-state/stream/${closed}/finalize`)).status).toBe(200);

    type Req = { dataId: string; chunk: number; n: number; expect: number };
    const reqs: Req[] = [];
    for (let chunk = 0; chunk < 40; chunk++) {
      // every 7th chunk of `open` is one point too long: refused whole, its neighbours stored
      reqs.push({ dataId: open, chunk, n: chunk % 7 === 3 ? PPC + 1 : PPC, expect: chunk % 7 === 3 ? 422 : 200 });
      if (chunk % 4 === 0) reqs.push({ dataId: other, chunk, n: PPC - 1, expect: 200 });
      if (chunk % 5 === 0) reqs.push({ dataId: closed, chunk, n: PPC, expect: 409 });
      if (chunk % 6 === 0) reqs.push({ dataId: "00000000-0000-4000-8000-00000000dead", chunk, n: PPC, expect: 404 });
    }
    const answers = await Promise.all(
      reqs.map((r) =>
        call("POST", "/tool-state/stream/chunk/multi", {
          data_id: r.dataId,
          chunk_index: r.chunk,
          channels: Object.fromEntries(CHANNELS.map((name, c) => [name, points(c, r.chunk, r.n)])),
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(reqs.map((r) => r.expect));
    answers.forEach((a, i) => {
      if (a.status !== 200) return;
      expect(a.body.map((x: { channel_name: string; chunk_index: number; data_id: string }) => [x.data_id, x.chunk_index, x.channel_name])).toEqual(
        CHANNELS.map((name) => [reqs[i]!.dataId, reqs[i]!.chunk, name]),
      );
    });
    const tooLong = answers[reqs.findIndex((r) => r.expect === 422)]!;
    expect(JSON.stringify(tooLong.body)).toMatch(/11 points exceed points_per_chunk \(10\)/);

    // Read back point by point: exactly the stored requests' points, each once.
    for (const dataId of [open, other]) {
      const stored = reqs.filter((r) => r.dataId === dataId && r.expect === 200).sort((x, y) => x.chunk - y.chunk);
      const ts = (await call("GET", `/tool-state/${dataId}/timeseries/`)).body;
      CHANNELS.forEach((name, c) => {
        const want = stored.map((r) => points(c, r.chunk, r.n));
        expect(ts.properties[name].unix_timestamp_ms).toEqual(want.flatMap((p) => p.timestamps.map((t) => Math.round(t * 1000))));
        expect(ts.properties[name].values).toEqual(want.flatMap((p) => p.values));
      });
      // The totals counted each stored point once: one more chunk says so.
      const next = await call("POST", "/tool-state/stream/chunk/multi", {
        data_id: dataId,
        chunk_index: 1000,
        channels: Object.fromEntries(CHANNELS.map((name, c) => [name, points(c, 1000, 1)])),
      });
      expect(next.status).toBe(200);
      const total = stored.reduce((sum, r) => sum + r.n, 0) + 1;
      expect(next.body.map((x: { total_points: number }) => x.total_points)).toEqual(CHANNELS.map(() => total));
    }
    expect((await call("GET", `/tool-state/${closed}/timeseries/`)).body.properties).toEqual({});
  });
});
