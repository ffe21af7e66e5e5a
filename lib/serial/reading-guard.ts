/**
 * The last check a driver makes before it hands readings on: each one the streamer would refuse (a
 * channel name over 255 characters or holding a NUL, a non-finite value) is reported (`bad-reading`)
 * and left out, so one bad line or reply never aborts the pipe it feeds (design §3.10).
 */
import type { DriverProblem } from "./driver.js";
import type { Reading } from "../types.js";
import { checkReading } from "../input.js";

/** `readings` without those the streamer would refuse; each refused one is reported. */
export function guardReadings(readings: Reading[], report: ((problem: DriverProblem) => void) | undefined, raw?: string): Reading[] {
  let kept: Reading[] | undefined;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!;
    try {
      checkReading(r);
      if (r.channel.includes("\u0000")) throw new Error(`the channel name ${JSON.stringify(r.channel)} holds a NUL character, which the platform cannot store.`);
      kept?.push(r);
    } catch (error) {
      kept ??= readings.slice(0, i);
      report?.({ kind: "bad-reading", message: `Skipped a reading: ${(error as Error).message}`, raw, t: r.t });
    }
  }
  return kept ?? readings;
}

/** `units[channel]` when it is the map's own string entry (so `constructor` or `__proto__` name no inherited member). */
export function ownUnits(units: Readonly<Record<string, string>> | ReadonlyMap<string, string> | undefined, channel: string): string | undefined {
  if (units === undefined) return undefined;
  if (units instanceof Map) return units.get(channel);
  const record = units as Readonly<Record<string, string>>;
  if (!Object.hasOwn(record, channel)) return undefined;
  const value = record[channel];
  return typeof value === "string" ? value : undefined;
}
