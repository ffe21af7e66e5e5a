/** Compare what the instrument page recorded with what the platform holds, channel by channel, point by point. */
import { expect } from "vitest";
import type { RecordedRow } from "./page.js";

export type ReadBack = { properties: Record<string, { unix_timestamp_ms: number[]; values: number[]; units: string | null }> };

/** Recorded rows grouped by channel, in the order they were accepted. */
export function byChannel(rows: readonly RecordedRow[]): Map<string, RecordedRow[]> {
  const out = new Map<string, RecordedRow[]>();
  for (const r of rows) {
    let list = out.get(r.channel);
    if (!list) out.set(r.channel, (list = []));
    list.push(r);
  }
  return out;
}

/** Every recorded point on the platform once, at its place; nothing else there. */
export function expectServerEqualsRecorded(back: ReadBack, rows: readonly RecordedRow[]): void {
  const recorded = byChannel(rows);
  expect(Object.keys(back.properties).sort(), "channels on the platform").toEqual([...recorded.keys()].sort());
  for (const [channel, list] of recorded) {
    const p = back.properties[channel]!;
    expect(p.values.length, `${channel}: number of points`).toBe(list.length);
    let wrong = 0;
    let first = -1;
    list.forEach((r, i) => {
      // The platform keeps timestamps in whole milliseconds (the emulator too): at most half a millisecond off.
      if (p.values[i] !== r.value || Math.abs(p.unix_timestamp_ms[i]! - r.t * 1000) > 0.5 + 1e-6) {
        wrong++;
        if (first < 0) first = i;
      }
    });
    expect(wrong, `${channel}: points that differ from the recorded ones (first at ${first}: platform ${p.values[first]} @ ${p.unix_timestamp_ms[first]}, recorded ${JSON.stringify(list[first])})`).toBe(0);
  }
}
