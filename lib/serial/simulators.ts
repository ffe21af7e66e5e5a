/**
 * Instrument simulators for every driver, on web-standard streams only (browsers, Deno, Node): a byte
 * `readable` (what the instrument sends) and `writable` (what it is sent) that behave like the device —
 * the polled ones answer their queries, the `lines` one streams by itself. Each records what it
 * produced, so a test can compare what reached the server with what the instrument said. One file per
 * simulator under `simulators/` says what it sends; values are deterministic functions of a counter n
 * (the line number, or the number of the measurement query, from 0), unless `options.value` gives others.
 *
 * `produced` lists, in order, the readings a correct driver reads from what was sent: the values as the
 * digits sent say (`Number` of the text), and nothing for a status, an out-of-range value, a corrupted
 * frame or a bad line.
 */
import type { DriverOptions } from "./driver.js";
import { DriverConfigError } from "./driver-error.js";
import { polledDevice, type Protocol, type Simulation } from "./simulators/device.js";
import { Output } from "./simulators/output.js";
import { WritableStreamBase } from "../streams/web-streams.js";
import type { InstrumentSimulator, SimulatorOptions } from "./simulators/types.js";
import { streamLines } from "./simulators/lines.js";
import { pfeifferTpg26xProtocol } from "./simulators/pfeiffer-tpg26x.js";
import { lakeshore33xProtocol } from "./simulators/lakeshore-33x.js";
import { scpiProtocol } from "./simulators/scpi.js";
import { impacProtocol } from "./simulators/impac.js";
import { mks937bProtocol } from "./simulators/mks-937b.js";
import { agilentXgs600Protocol } from "./simulators/agilent-xgs600.js";
import { granvillePhillips350Protocol } from "./simulators/granville-phillips-350.js";
import { inficonSqm160Protocol } from "./simulators/inficon-sqm160.js";
import { syconStm100Protocol } from "./simulators/sycon-stm100.js";
import { eurothermBisynchProtocol } from "./simulators/eurotherm-bisynch.js";
import { modbusRtuProtocol } from "./simulators/modbus-rtu.js";

export type { InstrumentSimulator, ProducedValue, SimulatorOptions } from "./simulators/types.js";

const PROTOCOLS: ReadonlyMap<string, (options: SimulatorOptions) => Protocol> = new Map([
  ["pfeiffer-tpg26x", pfeifferTpg26xProtocol],
  ["lakeshore-33x", lakeshore33xProtocol],
  ["scpi", scpiProtocol],
  ["impac", impacProtocol],
  ["mks-937b", mks937bProtocol],
  ["agilent-xgs600", agilentXgs600Protocol],
  ["granville-phillips-350", granvillePhillips350Protocol],
  ["inficon-sqm160", inficonSqm160Protocol],
  ["sycon-stm100", syconStm100Protocol],
  ["eurotherm-bisynch", eurothermBisynchProtocol],
  ["modbus-rtu", modbusRtuProtocol],
]);

/** The ids `createSimulator` knows: every driver's. */
export const SIMULATOR_IDS = [
  "lines",
  "pfeiffer-tpg26x",
  "lakeshore-33x",
  "scpi",
  "impac",
  "mks-937b",
  "agilent-xgs600",
  "granville-phillips-350",
  "inficon-sqm160",
  "sycon-stm100",
  "eurotherm-bisynch",
  "modbus-rtu",
] as const;

/**
 * The driver options that read a simulator with its default options: the SCPI query it answers, the
 * Modbus register (any register answers; 0x1000 is an Omega CN7800's process value). Empty for the rest.
 */
export function simulatorDriverOptions(id: string): DriverOptions {
  if (id === "scpi") return { command: "MEAS:TEMP?" };
  if (id === "modbus-rtu") return { registers: [0x1000] };
  return {};
}

/** A simulated instrument for this driver id; an unknown id is a `DriverConfigError` listing the ids. */
export function createSimulator(id: string, options: SimulatorOptions = {}): InstrumentSimulator {
  if (!(SIMULATOR_IDS as readonly string[]).includes(id)) {
    throw new DriverConfigError(`No simulator for ${JSON.stringify(id)}. Use one of: ${SIMULATOR_IDS.join(", ")}.`, "unknown-simulator");
  }
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const stop = () => {
    sim.closed = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
  };
  const sim: Simulation = {
    produced: [],
    received: [],
    overlaps: 0,
    closed: false,
    output: new Output(options.chunking, stop),
    timers,
  };
  const protocol = PROTOCOLS.get(id);
  const input = protocol ? polledDevice(protocol(options), options, sim) : () => {};
  if (id === "lines") streamLines(options, sim);
  const writable = new WritableStreamBase<Uint8Array>({
    write(bytes) {
      if (!sim.closed) input(bytes);
    },
  });
  return {
    id,
    readable: sim.output.readable,
    writable,
    get produced() {
      return sim.produced;
    },
    get received() {
      return sim.received;
    },
    get overlaps() {
      return sim.overlaps;
    },
    close() {
      stop();
      sim.output.end();
    },
  };
}
