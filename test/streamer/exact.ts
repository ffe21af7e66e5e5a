/** Point-by-point read-back for the streamer's loss tests: straight from the emulator, no proxy, any channel name. */
import { expect } from "vitest";

export type Points = Array<[t: number, value: number]>;

interface Property {
  unix_timestamp_ms: Array<number | string>;
  values: number[];
}

/** The stream as the emulator holds it (raw JSON: a channel named `__proto__` is an own key here). */
export async function serverHolds(emu: { url: string; apiKey: string }, dataId: string, prefix = "/tool-state"): Promise<Map<string, Property>> {
  const res = await fetch(`${emu.url}${prefix}/${dataId}/timeseries/`, { headers: { "X-API-KEY": emu.apiKey } });
  expect(res.status, `read-back of ${dataId}`).toBe(200);
  const body = JSON.parse(await res.text()) as { properties: Record<string, Property> };
  return new Map(Object.entries(body.properties));
}

/** Every expected point on the server exactly once at its position (timestamps to the millisecond), nothing else. */
export async function expectExact(emu: { url: string; apiKey: string }, dataId: string, expected: Map<string, Points>, prefix?: string): Promise<void> {
  const held = await serverHolds(emu, dataId, prefix);
  expect([...held.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [channel, points] of expected) {
    const p = held.get(channel)!;
    expect(p.values.length, `${channel}: number of points`).toBe(points.length);
    let wrong = 0;
    let first = -1;
    points.forEach(([t, v], i) => {
      if (p.values[i] !== v || Math.abs(Number(p.unix_timestamp_ms[i]) - t * 1000) > 1) {
        wrong++;
        if (first < 0) first = i;
      }
    });
    expect(wrong, `${channel}: points out of place (first at ${first})`).toBe(0);
  }
}

/** The emulator's pipeline status of a data item ("success" once finalized). */
export async function pipelineStatus(emu: { url: string; apiKey: string }, dataId: string): Promise<string | undefined> {
  const res = await fetch(`${emu.url}/data_entries/?data_ids=${dataId}`, { headers: { "X-API-KEY": emu.apiKey } });
  return ((await res.json()) as Array<{ pipeline_status: string }>)[0]?.pipeline_status;
}

export const T0 = 1_764_000_000;
