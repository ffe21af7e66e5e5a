/**
 * A Web Serial port as one long-lived byte stream (design §2, reference §1):
 * - the spec's nested read loop: a fresh reader after a non-fatal error (BreakError, FramingError,
 *   ParityError, BufferOverrunError), which nulls `port.readable` and makes a new one;
 * - NetworkError (unplugged) → "disconnected"; with `reconnect`, a `connect` event (or `getPorts()`) with a
 *   port of the same USB vendor/product id — always a NEW SerialPort object — resumes reading;
 * - chunks stamped at receipt; framing is left to the driver, on bytes;
 * - the close order that never hits "Cannot cancel a locked stream": stop flag, cancel the reader, let the
 *   loop release its lock, then close the port.
 */
import type { SerialSettings, TimedBytes } from "./driver.js";
import { nowSeconds } from "../types.js";
import { TypedEventTarget } from "../event-target.js";
import type { Serial, SerialPort, SerialPortInfo } from "./web-serial-api.js";

export type SerialConnectionState = "opening" | "open" | "disconnected" | "reconnecting" | "closed";

export interface WebSerialOptions {
  /** Receive buffer in bytes (Web Serial's default of 255 loses data). @default 16384, at least 8192 */
  bufferSize?: number;
  /** Resume after an unplug when a port with the same USB ids comes back. @default true */
  reconnect?: boolean;
  /** The `navigator.serial` to use (tests, workers). @default globalThis.navigator.serial */
  serial?: Serial;
}

/** Recoverable read errors: the spec makes a fresh `readable` after them. */
export const RECOVERABLE_SERIAL_ERRORS = ["BreakError", "FramingError", "ParityError", "BufferOverrunError"] as const;

export class SerialConnectionError extends Error {
  override readonly name = "SerialConnectionError";
  constructor(message: string, readonly code: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * An open serial connection: `readable` (bytes with receipt times, across recoverable errors and
 * reconnections), `write()`, `close()`, and events `state` and `problem` (detail: `{ name, message }`).
 *
 * @example
 * const port = await navigator.serial.requestPort();
 * const conn = await WebSerialConnection.open(port, { baudRate: 9600 });
 * const io = createInstrumentIO(conn.readable, (b) => conn.write(b));
 */
/** The events of a WebSerialConnection, by name: `conn.addEventListener("state", (e) => e.detail.state)` type-checks. */
export interface WebSerialConnectionEventMap {
  /** The connection's state changed (opening, open, disconnected, reconnecting, closed). */
  state: { state: SerialConnectionState };
  /** Something went wrong that the connection rides out (a framing, parity or buffer overrun error …), by its DOMException name. */
  problem: { name: string; message: string };
}

export class WebSerialConnection extends TypedEventTarget<WebSerialConnectionEventMap> {
  readonly readable: ReadableStream<TimedBytes>;
  readonly settings: SerialSettings;
  #port: SerialPort;
  #controller!: ReadableStreamDefaultController<TimedBytes>;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #loop: Promise<void> = Promise.resolve();
  #state: SerialConnectionState = "opening";
  #stopping = false;
  readonly #options: Required<Omit<WebSerialOptions, "serial">> & { serial: Serial | undefined };
  readonly #info: SerialPortInfo;
  #onConnect: ((e: Event) => void) | undefined;

  private constructor(port: SerialPort, settings: SerialSettings, options: WebSerialOptions) {
    super();
    this.#port = port;
    this.settings = settings;
    this.#info = port.getInfo();
    this.#options = {
      bufferSize: Math.max(8192, options.bufferSize ?? 16384),
      reconnect: options.reconnect ?? true,
      serial: options.serial ?? (globalThis.navigator as { serial?: Serial } | undefined)?.serial,
    };
    this.readable = new ReadableStream<TimedBytes>({
      start: (c) => {
        this.#controller = c;
      },
      cancel: () => this.close(),
    });
  }

  /** Open `port` with these settings and start reading. */
  static async open(port: SerialPort, settings: SerialSettings, options: WebSerialOptions = {}): Promise<WebSerialConnection> {
    const conn = new WebSerialConnection(port, settings, options);
    await conn.#openPort(port);
    conn.#setState("open");
    conn.#loop = conn.#readLoop();
    return conn;
  }

  get state(): SerialConnectionState {
    return this.#state;
  }

  /** The port now in use (after a reconnection, a new object). */
  get port(): SerialPort {
    return this.#port;
  }

  /** USB vendor/product id of the device (what reconnection matches on). */
  get info(): SerialPortInfo {
    return this.#info;
  }

  async #openPort(port: SerialPort): Promise<void> {
    const s = this.settings;
    try {
      await port.open({
        baudRate: s.baudRate,
        dataBits: s.dataBits ?? 8,
        stopBits: s.stopBits ?? 1,
        parity: s.parity ?? "none",
        flowControl: s.flowControl ?? "none",
        bufferSize: this.#options.bufferSize,
      });
    } catch (cause) {
      const name = (cause as Error)?.name;
      const hint =
        name === "NetworkError"
          ? " The port may be open in another tab or program, or (Linux) your user may lack permission (group dialout)."
          : name === "InvalidStateError"
            ? " The port is already open."
            : "";
      throw new SerialConnectionError(`Could not open the serial port: ${(cause as Error)?.message ?? cause}.${hint}`, name ?? "open_failed", { cause });
    }
  }

  #setState(state: SerialConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.dispatchEvent(new CustomEvent<WebSerialConnectionEventMap["state"]>("state", { detail: { state } }));
  }

  #problem(name: string, message: string): void {
    this.dispatchEvent(new CustomEvent<WebSerialConnectionEventMap["problem"]>("problem", { detail: { name, message } }));
  }

  async #readLoop(): Promise<void> {
    const port = this.#port;
    while (!this.#stopping && port.readable) {
      const reader = port.readable.getReader();
      this.#reader = reader;
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (value && value.byteLength > 0) this.#controller.enqueue({ bytes: value, t: nowSeconds() });
        }
      } catch (error) {
        const name = (error as Error)?.name ?? "Error";
        if ((RECOVERABLE_SERIAL_ERRORS as readonly string[]).includes(name)) {
          this.#problem(name, `${name} on the serial line; reading goes on.`);
          continue; // the spec made a fresh port.readable
        }
        if (name !== "NetworkError") this.#problem(name, (error as Error)?.message ?? String(error));
        break;
      } finally {
        reader.releaseLock();
        this.#reader = undefined;
      }
    }
    if (this.#stopping) return;
    // The device is gone (NetworkError) or the port failed: close what is left, then wait for it to return.
    this.#setState("disconnected");
    await port.close().catch(() => {});
    if (this.#options.reconnect && this.#options.serial) await this.#reconnect();
    else this.#end();
  }

  #sameDevice(port: SerialPort): boolean {
    const info = port.getInfo();
    return (
      this.#info.usbVendorId !== undefined &&
      info.usbVendorId === this.#info.usbVendorId &&
      info.usbProductId === this.#info.usbProductId
    );
  }

  async #reconnect(): Promise<void> {
    const serial = this.#options.serial!;
    this.#setState("reconnecting");
    const next = await new Promise<SerialPort | undefined>((resolve) => {
      const onConnect = (e: Event) => {
        const port = e.target as SerialPort | null;
        if (port && port !== (serial as unknown) && this.#sameDevice(port)) done(port);
      };
      const done = (port: SerialPort | undefined) => {
        serial.removeEventListener("connect", onConnect);
        this.#onConnect = undefined;
        resolve(port);
      };
      this.#onConnect = () => done(undefined);
      serial.addEventListener("connect", onConnect);
      // It may be back already (granted ports that are present).
      void serial.getPorts().then((ports) => {
        const back = ports.find((p) => p !== this.#port && this.#sameDevice(p));
        if (back) done(back);
      });
    });
    if (!next || this.#stopping) return this.#end();
    try {
      await this.#openPort(next);
    } catch (error) {
      this.#problem("open_failed", (error as Error).message);
      return this.#reconnect();
    }
    this.#port = next;
    this.#setState("open");
    this.#loop = this.#readLoop();
  }

  #end(): void {
    this.#setState("closed");
    try {
      this.#controller.close();
    } catch {
      // already closed
    }
  }

  /** Send bytes; the writer is released after each write so that close() never finds it locked. */
  async write(bytes: Uint8Array): Promise<void> {
    const writable = this.#port.writable;
    if (this.#state !== "open" || !writable) {
      throw new SerialConnectionError(`The serial port is ${this.#state}: nothing was sent.`, "not_open");
    }
    const writer = writable.getWriter();
    try {
      await writer.write(bytes);
    } finally {
      writer.releaseLock();
    }
  }

  /** Stop reading and close the port, in the order that never finds a stream locked. */
  async close(): Promise<void> {
    if (this.#stopping) return this.#loop;
    this.#stopping = true;
    this.#onConnect?.(new Event("close"));
    await this.#reader?.cancel().catch(() => {});
    await this.#loop.catch(() => {});
    if (this.#port.readable || this.#port.writable) await this.#port.close().catch(() => {});
    this.#end();
  }
}
