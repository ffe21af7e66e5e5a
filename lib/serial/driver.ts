/**
 * The contract between a byte transport (Web Serial, a Node serial port, a Deno device file, stdin, a
 * simulator) and an instrument driver (which turns bytes into readings, querying when it must).
 */
import type { Reading } from "../types.js";

/** Bytes as they arrived, stamped at receipt (Unix epoch seconds, `nowSeconds()`). */
export interface TimedBytes {
  bytes: Uint8Array;
  t: number;
}

/** Serial line settings (Web Serial's SerialOptions, minus bufferSize). */
export interface SerialSettings {
  baudRate: number;
  /** @default 8 */
  dataBits?: 7 | 8;
  /** @default 1 */
  stopBits?: 1 | 2;
  /** @default "none" */
  parity?: "none" | "even" | "odd";
  /** @default "none" */
  flowControl?: "none" | "hardware";
}

/** What a driver talks to. One reader: the driver owns the input while it runs. */
export interface InstrumentIO {
  /** The next bytes received, or undefined after `timeoutMs` (when given) or at the end of input. */
  read(timeoutMs?: number): Promise<TimedBytes | undefined>;
  /** Send bytes to the instrument. */
  write(bytes: Uint8Array): Promise<void>;
  /** Discard what was received and not yet read (stale input before a query). */
  flushInput(): void;
  /** True once the input has ended (the port closed for good). */
  readonly ended: boolean;
}

/** A problem with one frame or one reply: counted and reported, never fatal. */
export interface DriverProblem {
  /** "bad-line", "timeout", "status", "nak", "out-of-range", … */
  kind: string;
  message: string;
  /** The raw frame, as text, when there was one. */
  raw?: string | undefined;
  t: number;
}

export interface DriverOptions {
  /** Channel names, in column order (streaming lines) or for the values a polled driver reads. */
  channels?: string[];
  /** Units per channel name. */
  units?: Record<string, string>;
  /** The query a generic SCPI driver sends, e.g. "MEAS:TEMP?". */
  command?: string;
  /** Instrument address (IMPAC: two digits, default "00"), input (Lake Shore: "A"), gauge (Pfeiffer: 1). */
  address?: string;
  /** Polled drivers: keep at most one reading per this many ms (the next query still goes out on reply). @default 0 */
  intervalMs?: number;
  /** Polled drivers: how long to wait for a reply. @default 1000 */
  timeoutMs?: number;
  /** Streaming lines: drop the first line (it may be partial right after connect). @default true */
  dropFirstLine?: boolean;
  /** Stop when this aborts. */
  signal?: AbortSignal;
  /** Told of every bad frame, failed query or status reply; the driver carries on. */
  onProblem?: (problem: DriverProblem) => void;
}

export interface InstrumentDriver {
  /** Stable id, used by `--driver` and the page's "Driver" select: "lines", "pfeiffer-tpg26x", "lakeshore-33x", "scpi", "impac". */
  readonly id: string;
  /** Human name. */
  readonly label: string;
  readonly kind: "streaming" | "polled";
  /** The instrument's usual line settings (a user may change them). */
  readonly serial: SerialSettings;
  /** Readings, in batches, until the input ends or the signal aborts. */
  readings(io: InstrumentIO, options?: DriverOptions): ReadableStream<Reading[]>;
}
