/**
 * Consumer code for the packed-package tests: what a user of each runtime writes, type-checked in a
 * strict project (`skipLibCheck: false`) against the installed tarball.
 */

/** A strict tsconfig: `lib`, `types` and module resolution vary per runtime. */
export function strictTsconfig(file: string, options: { lib: string[]; types: string[]; module: "NodeNext" | "Bundler" }): string {
  return JSON.stringify(
    {
      compilerOptions: {
        target: "ES2022",
        module: options.module === "NodeNext" ? "NodeNext" : "ESNext",
        moduleResolution: options.module,
        lib: options.lib,
        types: options.types,
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        verbatimModuleSyntax: true,
      },
      files: [file],
    },
    null,
    2,
  );
}

/** Node (and Deno): the root entry, the file outbox, the emulator's types, the serial drivers. */
export const NODE_CONSUMER = `
import { AtomscaleClient, ApiError, ChunkStream, InvalidInputError, MemoryOutbox, nowSeconds, pollTimeseries, TimeseriesStreamer, type FinalizeResult, type Reading, type StreamStats } from "atomscale-stream";
import { FileOutbox } from "atomscale-stream/fs";
import { EmulatorDependencyError, startEmulator, type Emulator, type EmulatorOptions } from "atomscale-stream/emulator";
import { createSimulator, getDriver, LineFramer, type InstrumentDriver } from "atomscale-stream/serial";

const reading: Reading = { channel: "substrate_temperature", t: nowSeconds(), value: 612.5, units: "C" };
const streamer = new TimeseriesStreamer({ apiKey: "key", outbox: new FileOutbox({ dir: "outbox" }), pointsPerChunk: 100 });
const other = new TimeseriesStreamer({ apiKey: "key", outbox: new MemoryOutbox() });
async function use(dataId: string): Promise<[StreamStats, FinalizeResult]> {
  const writer = streamer.writable(dataId, { maxLatencyMs: 1000 }).getWriter();
  await writer.write([reading]);
  await writer.close();
  return [streamer.stats(dataId), await other.finalize(dataId, { timeoutMs: 1000 })];
}
const options: EmulatorOptions = { memory: true };
const driver: InstrumentDriver = getDriver("lines");
export const used = [use, options, driver, AtomscaleClient, ApiError, ChunkStream, InvalidInputError, pollTimeseries, EmulatorDependencyError, startEmulator, createSimulator, LineFramer];
export type Used = Emulator;
`;

/**
 * A browser page's module: the root entry, the IndexedDB outbox, Web Serial and the drivers. The page
 * gets `navigator.serial` from the DOM typings it chooses (here @types/w3c-web-serial): its real
 * `SerialPort` must fit WebSerialConnection.open.
 */
export const BROWSER_CONSUMER = `
import { nowSeconds, TimeseriesStreamer, type Reading } from "atomscale-stream";
import { IndexedDbOutbox, OutboxQuotaError } from "atomscale-stream/browser";
import { createInstrumentIO, getDriver, WebSerialConnection } from "atomscale-stream/serial";

const streamer = new TimeseriesStreamer({ apiKey: "key", outbox: new IndexedDbOutbox({ name: "furnace-3" }) });
export async function start(dataId: string): Promise<void> {
  const port = await navigator.serial.requestPort();
  const driver = getDriver("pfeiffer-tpg26x");
  const conn = await WebSerialConnection.open(port, driver.serial);
  const io = createInstrumentIO(conn.readable, (bytes) => conn.write(bytes));
  await driver.readings(io, { onProblem: (p) => console.warn(p) }).pipeTo(streamer.writable(dataId));
}
const reading: Reading = { channel: "pressure", t: nowSeconds(), value: 1e-6 };
export const used = [reading, OutboxQuotaError];
`;
