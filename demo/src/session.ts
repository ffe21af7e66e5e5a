/**
 * An instrument session: a byte transport (a Web Serial port, or a simulated instrument) → a driver →
 * readings, shown live always and written to the upload stream while a stream is started.
 */
import type { Reading } from "atomscale-stream";
import {
  createInstrumentIO,
  createSimulator,
  timedBytes,
  WebSerialConnection,
  type DriverProblem,
  type InstrumentDriver,
  type SerialSettings,
  type TimedBytes,
} from "atomscale-stream/serial";

export interface Transport {
  readonly readable: ReadableStream<TimedBytes>;
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** For the status line. */
  readonly description: string;
  /** State changes and line problems of a serial port (absent for a simulator). */
  readonly events?: EventTarget | undefined;
}

/** A simulated instrument for the chosen driver, in the page. */
export function simulatedTransport(driverId: string): Transport {
  const sim = createSimulator(driverId, { rateHz: 5 });
  const writer = sim.writable.getWriter();
  return {
    readable: sim.readable.pipeThrough(timedBytes()),
    write: (bytes) => writer.write(bytes),
    close: async () => sim.close(),
    description: `simulated ${driverId} instrument`,
  };
}

export async function serialTransport(port: SerialPort, settings: SerialSettings): Promise<Transport> {
  const conn = await WebSerialConnection.open(port, settings);
  const info = conn.info;
  const ids = info.usbVendorId !== undefined ? ` (USB ${hex(info.usbVendorId)}:${hex(info.usbProductId ?? 0)})` : "";
  return {
    readable: conn.readable,
    write: (bytes) => conn.write(bytes),
    close: () => conn.close(),
    description: `serial port${ids} at ${settings.baudRate} baud`,
    events: conn,
  };
}

const hex = (n: number) => n.toString(16).padStart(4, "0");

export interface SessionOptions {
  channels?: string[];
  units?: Record<string, string>;
  command?: string;
  onReadings(readings: Reading[]): void;
  onProblem(problem: DriverProblem): void;
}

export class InstrumentSession {
  readonly transport: Transport;
  readonly driver: InstrumentDriver;
  readonly done: Promise<void>;
  #upload: WritableStreamDefaultWriter<Reading[]> | undefined;
  readonly #abort = new AbortController();
  problems = 0;
  readings = 0;

  constructor(transport: Transport, driver: InstrumentDriver, options: SessionOptions) {
    this.transport = transport;
    this.driver = driver;
    const io = createInstrumentIO(transport.readable, (b) => transport.write(b));
    const stream = driver.readings(io, {
      ...(options.channels && options.channels.length > 0 ? { channels: options.channels } : {}),
      ...(options.units ? { units: options.units } : {}),
      ...(options.command ? { command: options.command } : {}),
      signal: this.#abort.signal,
      onProblem: (p) => {
        this.problems++;
        options.onProblem(p);
      },
    });
    this.done = (async () => {
      const reader = stream.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          if (!value || value.length === 0) continue;
          this.readings += value.length;
          options.onReadings(value);
          // While streaming, each batch is durable in the outbox before the next is read.
          if (this.#upload) await this.#upload.write(value);
        }
      } finally {
        reader.releaseLock();
      }
    })();
  }

  /** Start sending what is read to this writer (a streamer's writable). */
  attach(writer: WritableStreamDefaultWriter<Reading[]>): void {
    this.#upload = writer;
  }

  /** Stop sending; returns the writer so the caller can close it (which finalizes). */
  detach(): WritableStreamDefaultWriter<Reading[]> | undefined {
    const w = this.#upload;
    this.#upload = undefined;
    return w;
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.transport.close();
    await this.done.catch(() => {});
  }
}
