/**
 * `atomscale-stream/serial` — the Web Serial source, byte framing, instrument drivers and their
 * simulators (design §4). Runtime-neutral: the drivers and framing also serve the command line.
 */
export { WebSerialConnection, SerialConnectionError, RECOVERABLE_SERIAL_ERRORS } from "./web-serial.js";
export type { WebSerialOptions, SerialConnectionState, WebSerialConnectionEventMap } from "./web-serial.js";
export type { TimedBytes, SerialSettings, InstrumentIO, DriverProblem, DriverInfo, DriverOptions, InstrumentDriver, ModbusDataType } from "./driver.js";
export { createInstrumentIO, timedBytes, TimedBytesStream } from "./io.js";
export type { BufferedInstrumentIO, InstrumentIOOptions, TimedBytesStreamOptions } from "./io.js";
export { LineSplitter, LineFramer, DelimiterSplitter, DelimiterFramer } from "./framing.js";
export type { TimedLine, TimedFrame, LineSplitterOptions, DelimiterSplitterOptions } from "./framing.js";
export { DriverConfigError } from "./driver-error.js";
export { EnvelopeFramer } from "./envelope-framer.js";
export type { EnvelopeFramerOptions, FrameMeasure } from "./envelope-framer.js";
export { DRIVERS, getDriver, MODBUS_DATA_TYPES } from "./instruments/index.js";
export { createSimulator, SIMULATOR_IDS, simulatorDriverOptions } from "./simulators.js";
export type { SimulatorOptions, InstrumentSimulator, ProducedValue } from "./simulators.js";
