/** The instrument drivers, by id (`--driver`, the page's "Driver" select). */
import type { InstrumentDriver } from "../driver.js";
import { DriverConfigError } from "../driver-error.js";
import { impac } from "./impac.js";
import { lakeshore33x } from "./lakeshore-33x.js";
import { lines } from "./lines.js";
import { pfeifferTpg26x } from "./pfeiffer-tpg26x.js";
import { scpi } from "./scpi.js";

export const DRIVERS: Readonly<Record<string, InstrumentDriver>> = Object.freeze({
  [lines.id]: lines,
  [pfeifferTpg26x.id]: pfeifferTpg26x,
  [lakeshore33x.id]: lakeshore33x,
  [scpi.id]: scpi,
  [impac.id]: impac,
});

/** The driver with this id; an unknown id is a `DriverConfigError` listing the known ones. */
export function getDriver(id: string): InstrumentDriver {
  const driver = Object.hasOwn(DRIVERS, id) ? DRIVERS[id] : undefined;
  if (!driver) {
    throw new DriverConfigError(`Unknown instrument driver ${JSON.stringify(id)}. Use one of: ${Object.keys(DRIVERS).join(", ")}.`, "unknown-driver");
  }
  return driver;
}

export { lines, PlotterLineParser } from "./lines.js";
export type { PlotterColumn, ParsedLine } from "./lines.js";
export { pfeifferTpg26x, parsePfeifferReply, PFEIFFER_STATUS } from "./pfeiffer-tpg26x.js";
export { lakeshore33x } from "./lakeshore-33x.js";
export { scpi } from "./scpi.js";
export { impac, IMPAC_MAX_TENTHS } from "./impac.js";
export { pollReadings, nextMacrotask, parseDecimal, DEFAULT_TIMEOUT_MS } from "./polled.js";
export type { PollContext, PollCycle } from "./polled.js";
