/**
 * Concurrent writes to one stream: requests that share keys (the same chunk index, channels in
 * opposite orders) used to deadlock on PostgreSQL (118 of 600 answered 500). Now: no 5xx, exact
 * read-back, exact totals.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";

const T0 = 1_764_000_000;
const PPC = 20;
const CHANNELS = Array.from({ length: 12 }, (_, i) => `ch${String(i).padStart(2, "0")}`);

function slice(channel: number, chunk: number, n = PPC) {
  const timestamps: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const pos = chunk * PPC + i;
    timestamps.push(T0 + pos * 0.01);
    values.push(channel * 1e6 + pos + 0.25);
  }
  return { timestamps, values };
}

describe.each(BACKENDS)("concurrent writes on %s", (backend) => {
  let emu: RunningEmulator;
  let call: ReturnType<typeof http>;
  beforeAll(async () => {
    emu = await emulatorOn(backend);
    call = http(emu);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it("600 chunk/multi requests, duplicated with channels in opposite orders, 24 at a time: no 5xx, every point once", async () => {
    const id = (await call("POST", "/tool-state/stream/initialize", { points_per_chunk: PPC })).body.data_id as string;
    const chunks = 100;
    const requests: Array<() => Promise<number>> = [];
    for (let chunk = 0; chunk < chunks; chunk++) {
      for (const order of [CHANNELS, [...CHANNELS].reverse()]) {
        for (let copy = 0; copy < 3; copy++) {
          // Partial and full versions of one key race too; the full one is sent last in each order.
          const n = copy === 0 ? PPC / 2 : PPC;
          const entries = order.map((name) => `${JSON.stringify(name)}:${JSON.stringify(slice(CHANNELS.indexOf(name), chunk, n))}`);
          const body = `{"data_id":"${id}","chunk_index":${chunk},"channels":{${entries.join(",")}}}`;
          requests.push(async () => (await call("POST", "/tool-state/stream/chunk/multi", body)).status);
        }
      }
    }
    expect(requests).toHaveLength(600);
    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 24 }, async () => {
        while (next < requests.length) statuses.push(await requests[next++]!());
      }),
    );
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    // Some partial may have landed after the full version of its key: send the full slices once more,
    // one at a time, as a client's retry of its newest version would.
    for (let chunk = 0; chunk < chunks; chunk++) {
      const channels = Object.fromEntries(CHANNELS.map((name, c) => [name, slice(c, chunk)]));
      const res = await call("POST", "/tool-state/stream/chunk/multi", { data_id: id, chunk_index: chunk, channels });
      expect(res.status).toBe(200);
    }
    // Totals are exact after all that: one more resend says every channel holds chunks × PPC points.
    const last = await call("POST", "/tool-state/stream/chunk/multi", {
      data_id: id,
      chunk_index: 0,
      channels: Object.fromEntries(CHANNELS.map((name, c) => [name, slice(c, 0)])),
    });
    expect(last.body.map((r: { total_points: number }) => r.total_points)).toEqual(CHANNELS.map(() => chunks * PPC));
    const back = (await call("GET", `/tool-state/${id}/timeseries/`)).body.properties;
    expect(Object.keys(back).sort()).toEqual(CHANNELS);
    for (const [c, name] of CHANNELS.entries()) {
      const want = slice(c, 0, chunks * PPC);
      expect(back[name].values, name).toEqual(want.values);
      expect(back[name].unix_timestamp_ms, name).toEqual(want.timestamps.map((t) => Math.round(t * 1000)));
    }
  }, 300_000);
});
