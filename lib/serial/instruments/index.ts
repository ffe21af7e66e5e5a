/** The instrument drivers, by id (`--driver`, the page's "Driver" select). */
import type { InstrumentDriver } from "../driver.js";
import { DriverConfigError } from "../driver-error.js";
import { agilentXgs600 } from "./agilent-xgs600.js";
import { eurothermBisynch } from "./eurotherm-bisynch.js";
import { granvillePhillips350 } from "./granville-phillips-350.js";
import { impac } from "./impac.js";
import { inficonSqm160 } from "./inficon-sqm160.js";
import { lakeshore33x } from "./lakeshore-33x.js";
import { lines } from "./lines.js";
import { mks937b } from "./mks-937b.js";
import { modbusRtu } from "./modbus-rtu.js";
import { pfeifferTpg26x } from "./pfeiffer-tpg26x.js";
import { scpi } from "./scpi.js";
import { syconStm100 } from "./sycon-stm100.js";

export const DRIVERS: Readonly<Record<string, InstrumentDriver>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, InstrumentDriver>, {
    [lines.id]: lines,
    [pfeifferTpg26x.id]: pfeifferTpg26x,
    [lakeshore33x.id]: lakeshore33x,
    [scpi.id]: scpi,
    [impac.id]: impac,
    [mks937b.id]: mks937b,
    [agilentXgs600.id]: agilentXgs600,
    [granvillePhillips350.id]: granvillePhillips350,
    [inficonSqm160.id]: inficonSqm160,
    [syconStm100.id]: syconStm100,
    [eurothermBisynch.id]: eurothermBisynch,
    [modbusRtu.id]: modbusRtu,
  }),
);

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
export { mks937b, parseMksReply } from "./mks-937b.js";
export { agilentXgs600 } from "./agilent-xgs600.js";
export { granvillePhillips350 } from "./granville-phillips-350.js";
export { inficonSqm160, sqmFrame, parseSqmReply } from "./inficon-sqm160.js";
export { syconStm100, stmFrame, parseStmFrame } from "./sycon-stm100.js";
export { eurothermBisynch, bisynchPoll, bisynchReply } from "./eurotherm-bisynch.js";
export { modbusRtu, modbusRequest, decodeRegisters, MODBUS_DATA_TYPES, MODBUS_EXCEPTIONS } from "./modbus-rtu.js";
export { pollReadings, pollFrames, nextMacrotask, parseDecimal, DEFAULT_TIMEOUT_MS } from "./polled.js";
export type { PollContext, PollCycle, PollTuning, ReplyFramer } from "./polled.js";
