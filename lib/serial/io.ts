/**
 * The driver's side of a byte transport: `InstrumentIO` over a `ReadableStream<TimedBytes>` (a
 * `WebSerialConnection`, a simulator, stdin, a Deno device file) and a write function.
 */
import type { InstrumentIO, TimedBytes } from "./driver.js";
import { TransformStreamBase } from "../streams/web-streams.js";
import { nowSeconds } from "../types.js";

export interface InstrumentIOOptions {
  /**
   * Input the IO reads ahead of its driver, in bytes. Past this it stops reading and the source's own
   * backpressure applies (a `WebSerialConnection` buffers, a port's OS buffer fills).
   * @default 65536
   */
  maxBufferedBytes?: number;
}

/** `InstrumentIO` plus what its owner needs: how much is buffered, and a way to let go of the source. */
export interface BufferedInstrumentIO extends InstrumentIO {
  /** Drop what was received and not yet read; returns how many bytes that was. */
  flushInput(): number;
  /** Bytes received and not yet read. */
  readonly bufferedBytes: number;
  /** Stop reading: cancel the source (pending and later reads give undefined). */
  cancel(reason?: unknown): Promise<void>;
}

/**
 * One reader on `source` for the IO's whole life. The IO keeps one read pending on the source at all
 * times (while under `maxBufferedBytes`) and queues what it delivers, so:
 * - `read(timeoutMs)` that times out loses nothing: the chunk that arrives later is handed to the next
 *   `read()` — the pending source read is never abandoned;
 * - `flushInput()` drops, at once and without waiting, everything that has arrived. Bytes the source
 *   has queued reach the IO within a microtask turn, so a caller that yielded to the event loop (the
 *   polled drivers do, between queries) drops everything received before it called;
 * - `ended` is true once the source has ended and everything it delivered was read or flushed.
 * A source that errors ends the input too; `read()` then rejects with that error once the queue is empty.
 *
 * @example
 * const conn = await WebSerialConnection.open(port, driver.serial);
 * const io = createInstrumentIO(conn.readable, (bytes) => conn.write(bytes));
 * await driver.readings(io).pipeTo(streamer.writable(dataId));
 */
export function createInstrumentIO(
  source: ReadableStream<TimedBytes>,
  write: (bytes: Uint8Array) => Promise<void>,
  options: InstrumentIOOptions = {},
): BufferedInstrumentIO {
  return new StreamInstrumentIO(source, write, options);
}

class StreamInstrumentIO implements BufferedInstrumentIO {
  readonly #reader: ReadableStreamDefaultReader<TimedBytes>;
  readonly #write: (bytes: Uint8Array) => Promise<void>;
  readonly #maxBuffered: number;
  readonly #queue: TimedBytes[] = [];
  #queuedBytes = 0;
  #reading = false;
  #sourceDone = false;
  #failure: { error: unknown } | undefined;
  #waiters: Array<() => void> = [];

  constructor(source: ReadableStream<TimedBytes>, write: (bytes: Uint8Array) => Promise<void>, options: InstrumentIOOptions) {
    this.#reader = source.getReader();
    this.#write = write;
    this.#maxBuffered = options.maxBufferedBytes ?? 65536;
    this.#readAhead();
  }

  get ended(): boolean {
    return this.#sourceDone && this.#queue.length === 0;
  }

  get bufferedBytes(): number {
    return this.#queuedBytes;
  }

  async read(timeoutMs?: number): Promise<TimedBytes | undefined> {
    const deadline = timeoutMs === undefined ? Infinity : performance.now() + Math.max(0, timeoutMs);
    for (;;) {
      const next = this.#queue.shift();
      if (next) {
        this.#queuedBytes -= next.bytes.length;
        this.#readAhead();
        return next;
      }
      if (this.#sourceDone) {
        if (this.#failure) throw this.#failure.error;
        return undefined;
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) return undefined;
      if (!(await this.#arrival(remaining))) return undefined;
    }
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.#write(bytes);
  }

  flushInput(): number {
    const dropped = this.#queuedBytes;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#readAhead();
    return dropped;
  }

  async cancel(reason?: unknown): Promise<void> {
    this.#sourceDone = true;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#wake();
    await this.#reader.cancel(reason).catch(() => {});
  }

  /** Keep one read pending on the source while there is room. */
  #readAhead(): void {
    if (this.#reading || this.#sourceDone || this.#queuedBytes >= this.#maxBuffered) return;
    this.#reading = true;
    this.#reader.read().then(
      (result) => {
        this.#reading = false;
        if (this.#sourceDone) return; // cancelled meanwhile
        if (result.done) this.#sourceDone = true;
        else if (result.value.bytes.length > 0) {
          this.#queue.push(result.value);
          this.#queuedBytes += result.value.bytes.length;
        }
        this.#wake();
        this.#readAhead();
      },
      (error: unknown) => {
        this.#reading = false;
        if (!this.#sourceDone) this.#failure = { error };
        this.#sourceDone = true;
        this.#wake();
      },
    );
  }

  /** Resolves true when something arrives or the input ends, false after `timeoutMs`. */
  #arrival(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = () => {
        if (timer !== undefined) clearTimeout(timer);
        resolve(true);
      };
      this.#waiters.push(waiter);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

export interface TimedBytesStreamOptions {
  /** The clock, in Unix epoch seconds. @default nowSeconds */
  now?: () => number;
  /** Chunks stamped ahead of the reader, so a stamp is the receipt time even when the reader lags. @default 64 */
  readAhead?: number;
}

/**
 * Raw bytes in, `TimedBytes` out: each chunk stamped when it is received. Empty chunks are dropped.
 *
 * @example
 * const source = Readable.toWeb(process.stdin).pipeThrough(new TimedBytesStream());
 */
export class TimedBytesStream extends TransformStreamBase<Uint8Array, TimedBytes> {
  constructor(options: TimedBytesStreamOptions = {}) {
    const now = options.now ?? nowSeconds;
    super(
      {
        transform(bytes, controller) {
          if (bytes.byteLength > 0) controller.enqueue({ bytes, t: now() });
        },
      },
      undefined,
      { highWaterMark: options.readAhead ?? 64 },
    );
  }
}

/** Stamp chunks at receipt: `readable.pipeThrough(timedBytes())`, or `timedBytes(readable)`. */
export function timedBytes(now?: () => number): TimedBytesStream;
export function timedBytes(readable: ReadableStream<Uint8Array>, now?: () => number): ReadableStream<TimedBytes>;
export function timedBytes(
  readableOrNow?: ReadableStream<Uint8Array> | (() => number),
  now: () => number = nowSeconds,
): TimedBytesStream | ReadableStream<TimedBytes> {
  if (typeof readableOrNow === "function") return new TimedBytesStream({ now: readableOrNow });
  if (readableOrNow === undefined) return new TimedBytesStream({ now });
  return readableOrNow.pipeThrough(new TimedBytesStream({ now }));
}
