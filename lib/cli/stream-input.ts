/**
 * The `stream` command's readings: the input (a serial device, stdin or a CSV file) through its driver,
 * as one `ReadableStream<Reading[]>` for the whole run. A device that disappears or fails (unplugged,
 * adapter reset, EIO) does not end it: the connection's readings end, the input waits for the same path
 * to come back, configures the line again with the same settings, and a new connection (a new driver,
 * dropping the first, possibly partial, line) continues the same stream of readings.
 */
import { stat } from "node:fs/promises";
import type { DriverProblem } from "../serial/driver.js";
import { createInstrumentIO, timedBytes } from "../serial/io.js";
import type { Reading } from "../types.js";
import { sleep } from "./args.js";
import { csvReadings } from "./csv.js";
import { describeError } from "./describe-error.js";
import { openFile, openSerialDevice, openStdin, type ByteSource } from "./device.js";
import type { StreamConfig } from "./stream-options.js";

/** reading: a connection is open; waiting: the device is gone and the input waits for it; ended: no more readings. */
export type InputState = "reading" | "waiting" | "ended";

export interface InputHooks {
  log(message: string): void;
  problem(problem: DriverProblem): void;
  /** Something a driver says once (e.g. that the instrument's own header names the channels). */
  info?(message: string): void;
  /** The input's state changed. */
  state?(state: InputState): void;
}

/** A device that went away: the end of a connection, not of the run. */
export class DeviceGoneError extends Error {
  override readonly name = "DeviceGoneError";
  readonly code = "device_gone";
  constructor(readonly path: string, options?: { cause?: unknown }) {
    super(`the device ${path} closed`, options);
  }
}

interface Connection {
  source: ByteSource;
  readings: ReadableStream<Reading[]>;
  reader: ReadableStreamDefaultReader<Reading[]>;
  cancel: () => Promise<void>;
}

/** How often a gone device's path is looked for. */
const RECONNECT_POLL_MS = 250;

export class InstrumentInput {
  /** Every reading of the run, across reconnections. Closes on stop, at the end of stdin or the file, or (with --exit-on-disconnect) when the device goes. */
  readonly readings: ReadableStream<Reading[]>;
  /** Why the input ended by itself (undefined after a stop or the end of stdin or a file). */
  error: unknown;
  /** How many times the device came back. */
  reconnects = 0;
  #state: InputState = "reading";
  #current: Connection | undefined;
  readonly #config: StreamConfig;
  readonly #signal: AbortSignal;
  readonly #hooks: InputHooks;

  private constructor(config: StreamConfig, signal: AbortSignal, hooks: InputHooks, first: Connection) {
    this.#config = config;
    this.#signal = signal;
    this.#hooks = hooks;
    this.#current = first;
    this.readings = new ReadableStream<Reading[]>({ pull: (controller) => this.#pull(controller), cancel: () => this.#release() }, { highWaterMark: 0 });
  }

  /** Open the input (a wrong path or device fails here, before any stream is started). */
  static async open(config: StreamConfig, signal: AbortSignal, hooks: InputHooks): Promise<InstrumentInput> {
    const first = await connect(config, signal, hooks, await openSource(config));
    return new InstrumentInput(config, signal, hooks, first);
  }

  get state(): InputState {
    return this.#state;
  }

  /** Let go of the input now (the run is over). */
  close(): void {
    void this.#release();
  }

  #setState(state: InputState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#hooks.state?.(state);
  }

  async #pull(controller: ReadableStreamDefaultController<Reading[]>): Promise<void> {
    const input = this.#config.input;
    for (;;) {
      if (!this.#current) {
        const next = input.kind === "device" && !this.#signal.aborted ? await this.#reconnect(input.path) : undefined;
        if (!next) {
          this.#setState("ended");
          controller.close();
          return;
        }
        this.#current = next;
      }
      let ended: unknown;
      try {
        const next = await this.#current.reader.read();
        if (!next.done) {
          controller.enqueue(next.value);
          return;
        }
      } catch (error) {
        ended = error;
      }
      await this.#release();
      if (input.kind !== "device" || this.#signal.aborted) {
        this.error = ended;
        this.#setState("ended");
        controller.close();
        return;
      }
      const why = ended instanceof DeviceGoneError ? "it closed" : describeError(ended ?? new DeviceGoneError(input.path));
      if (this.#config.exitOnDisconnect) {
        this.error = new DeviceGoneError(input.path, { cause: ended });
        this.#hooks.log(`the device ${input.path} is gone (${why}): ending the run (--exit-on-disconnect).`);
        this.#setState("ended");
        controller.close();
        return;
      }
      this.#hooks.log(`the device ${input.path} is gone (${why}): waiting for ${input.path} to come back; the stream stays open.`);
    }
  }

  /** Wait for the device's path to come back, then open it as before; undefined when stopped first. */
  async #reconnect(path: string): Promise<Connection | undefined> {
    this.#setState("waiting");
    let lastFailure = "";
    while (!this.#signal.aborted) {
      const present = await stat(path).then((s) => s.isCharacterDevice(), () => false);
      if (present) {
        try {
          const source = await openSource(this.#config);
          if (this.#signal.aborted) {
            source.close();
            return undefined;
          }
          const connection = await connect(this.#config, this.#signal, this.#hooks, source);
          this.reconnects++;
          this.#hooks.log(`the device ${path} is back: reading again (same line settings), continuing the stream.`);
          this.#setState("reading");
          return connection;
        } catch (error) {
          // Present but not usable yet (udev still setting permissions, the adapter resetting): try again.
          const message = describeError(error);
          if (message !== lastFailure) this.#hooks.log(`${path} is there but cannot be opened yet (${message}); trying again.`);
          lastFailure = message;
        }
      }
      await sleep(RECONNECT_POLL_MS, this.#signal);
    }
    return undefined;
  }

  async #release(): Promise<void> {
    const connection = this.#current;
    this.#current = undefined;
    if (!connection) return;
    try {
      connection.reader.releaseLock();
    } catch {
      // a read is still pending: cancelling the input ends it
    }
    // Never wait long on a read that may be blocked in a device.
    await Promise.race([connection.cancel(), sleep(500)]);
    connection.source.close();
  }
}

async function openSource(config: StreamConfig): Promise<ByteSource> {
  const input = config.input;
  if (input.kind === "device") {
    const source = await openSerialDevice(input.path, input.line);
    return { ...source, readable: endIsGone(source.readable, input.path) };
  }
  return input.kind === "file" ? openFile(input.path) : openStdin();
}

/** A device's bytes, where the end of input is an error: a driver must not take the partial line it was reading for a whole one. */
function endIsGone(readable: ReadableStream<Uint8Array>, path: string): ReadableStream<Uint8Array> {
  const reader = readable.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (error) {
          controller.error(new DeviceGoneError(path, { cause: error }));
          return;
        }
        if (next.done) controller.error(new DeviceGoneError(path));
        else controller.enqueue(next.value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

async function connect(config: StreamConfig, signal: AbortSignal, hooks: InputHooks, source: ByteSource): Promise<Connection> {
  const bytes = timedBytes(source.readable);
  const onProblem = (p: DriverProblem) => hooks.problem(p);
  let readings: ReadableStream<Reading[]>;
  let cancel: () => Promise<void>;
  if (config.input.kind === "file") {
    readings = csvReadings(bytes, { columns: config.channels, units: config.units, onProblem, signal });
    cancel = () => readings.cancel().catch(() => {});
  } else {
    const write = source.write ?? (() => Promise.reject(new Error("this input cannot be written to")));
    const io = createInstrumentIO(bytes, write);
    cancel = () => io.cancel().catch(() => {});
    readings = config.driver.readings(io, {
      ...config.driverOptions,
      // Right after opening a device the first line may be a tail; stdin starts at the beginning.
      dropFirstLine: config.input.kind === "device",
      signal,
      onProblem,
      // Drivers that say things once (an instrument header overriding --channels) take `onInfo`; others ignore it.
      ...({ onInfo: (info: { message: string }) => hooks.info?.(info.message) } as object),
    });
  }
  return { source, readings, reader: readings.getReader(), cancel };
}
