/** Read a stream straight from the emulator (not through any proxy) and compare it point by point. */
import { expect } from "vitest";
import { CHANNELS, expectedPoint } from "../scenarios/e2e.js";

export async function readBack(emu: { url: string; apiKey: string }, dataId: string) {
  const res = await fetch(`${emu.url}/metrology/${dataId}/timeseries/`, { headers: { "X-API-KEY": emu.apiKey } });
  expect(res.status).toBe(200);
  return (await res.json()) as { properties: Record<string, { unix_timestamp_ms: number[]; values: number[]; units: string | null }> };
}

/** Every point present, once, at its position, for the scenario's three channels. */
export async function expectExactScenario(emu: { url: string; apiKey: string }, dataId: string, points: number) {
  const back = await readBack(emu, dataId);
  expect(Object.keys(back.properties).sort()).toEqual([...CHANNELS].sort());
  CHANNELS.forEach((name, c) => {
    const p = back.properties[name]!;
    expect(p.values.length, `${name}: number of points`).toBe(points);
    let wrong = 0;
    let first = -1;
    for (let i = 0; i < points; i++) {
      const [t, v] = expectedPoint(c, i);
      if (p.values[i] !== v || p.unix_timestamp_ms[i] !== Math.round(t * 1000)) {
        wrong++;
        if (first < 0) first = i;
      }
    }
    expect(wrong, `${name}: points out of place (first at ${first})`).toBe(0);
  });
  const entry = await fetch(`${emu.url}/data_entries/?data_ids=${dataId}`, { headers: { "X-API-KEY": emu.apiKey } });
  expect(((await entry.json()) as Array<{ pipeline_status: string }>)[0]?.pipeline_status).toBe("success");
}
