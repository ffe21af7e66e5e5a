/**
 * An instrument session: a byte transport (a Web Serial port, or a simulated instrument) → a driver →
 * readings, handed to a sink (the chart always; the stream while one is recording). The raw bytes are shown
 * to a raw log on the way.
 */
import type { Reading } from "atomscale-stream";
import {
  createInstrumentIO,
  createSimulator,
  timedBytes,
  WebSerialConnection,
  type DriverOptions,
  type DriverProblem,
  type InstrumentDriver,
  type InstrumentSimulator,
  type SerialSettings,
  type SimulatorOptions,
  type TimedBytes,
} from "atomscale-stream/serial";
import type { PageDriverOptions } from "./driver-fields.ts";
import { rawTap, type RawLog } from "./raw-log.ts";
import { nowSeconds } from "atomscale-stream";

export interface Transport {
  readonly readable: ReadableStream<TimedBytes>;
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** For the status line. */
  readonly description: string;
  /** State changes and line problems of a serial port (absent for a simulator). */
  readonly connection?: WebSerialConnection | undefined;
  /** The simulated instrument (absent for a serial port). */
  readonly simulator?: InstrumentSimulator | undefined;
}

/** A simulated instrument for the chosen driver, in the page. */
export function simulatedTransport(driverId: string, options: PageDriverOptions & { rateHz?: number } = {}): Transport {
  // The simulator takes the driver's settings that shape its answers (command, address, Modbus data type …).
  const simOptions: SimulatorOptions & PageDriverOptions = { ...options, rateHz: options.rateHz ?? 5 };
  const sim = createSimulator(driverId, simOptions);
  const writer = sim.writable.getWriter();
  return {
    readable: sim.readable.pipeThrough(timedBytes()),
    write: (bytes) => writer.write(bytes),
    close: async () => sim.close(),
    description: `simulated ${driverId} instrument`,
    simulator: sim,
  };
}

export async function serialTransport(port: SerialPort, settings: SerialSettings): Promise<Transport> {
  const conn = await WebSerialConnection.open(port, settings);
  return {
    readable: conn.readable,
    write: (bytes) => conn.write(bytes),
    close: () => conn.close(),
    description: `serial port${usbText(conn.info)} at ${settings.baudRate} baud`,
    connection: conn,
  };
}

export function usbText(info: { usbVendorId?: number | undefined; usbProductId?: number | undefined } | undefined): string {
  return info?.usbVendorId !== undefined ? ` (USB ${hex(info.usbVendorId)}:${hex(info.usbProductId ?? 0)})` : "";
}

const hex = (n: number) => n.toString(16).padStart(4, "0");

export interface SessionOptions extends Pick<DriverOptions, "channels" | "units"> {
  /** Driver-specific options (from the card's fields). */
  options?: PageDriverOptions;
  /** Told once of what the instrument says about its data (a header naming the columns), where the driver tells. */
  onInfo?(info: { kind: string; message: string; columns?: string[]; configured?: string[] | undefined }): void;
  raw: RawLog;
  /** Every batch read; the next batch is read once this resolves (the stream's backpressure). */
  onReadings(readings: Reading[]): Promise<void> | void;
  onProblem(problem: DriverProblem): void;
}

export class InstrumentSession {
  readonly transport: Transport;
  readonly driver: InstrumentDriver;
  /** Ends when the input ends or the session is closed; rejects when the driver fails. */
  readonly done: Promise<void>;
  readonly #abort = new AbortController();
  problems = 0;
  readings = 0;
  /** Receipt time of the last batch (Unix seconds), 0 before the first. */
  lastReadingAt = 0;

  constructor(transport: Transport, driver: InstrumentDriver, options: SessionOptions) {
    this.transport = transport;
    this.driver = driver;
    const raw = options.raw;
    const io = createInstrumentIO(transport.readable.pipeThrough(rawTap(raw)), (b) => {
      raw.sent(b, nowSeconds());
      return transport.write(b);
    });
    const driverOptions: DriverOptions & PageDriverOptions & { onInfo?: SessionOptions["onInfo"] } = {
      ...options.options,
      ...(options.channels && options.channels.length > 0 ? { channels: options.channels } : {}),
      ...(options.units ? { units: options.units } : {}),
      ...(options.onInfo ? { onInfo: options.onInfo } : {}),
      signal: this.#abort.signal,
      onProblem: (p) => {
        this.problems++;
        raw.problem(p);
        options.onProblem(p);
      },
    };
    const stream = driver.readings(io, driverOptions);
    this.done = (async () => {
      const reader = stream.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          if (!value || value.length === 0) continue;
          this.readings += value.length;
          this.lastReadingAt = value[value.length - 1]!.t;
          await options.onReadings(value);
        }
      } finally {
        reader.releaseLock();
      }
    })();
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.transport.close();
    await this.done.catch(() => {});
  }
}
