/** The simulators' public shapes: their options, and what a running one offers a test or a page. */
import type { ModbusDataType } from "../driver.js";

/** One value the simulator sent, as a driver should read it. */
export interface ProducedValue {
  channel: string;
  value: number;
}

export interface SimulatorOptions {
  /** `lines`: lines a second. @default 10 */
  rateHz?: number;
  /** `lines`: end the output after this many data lines. @default Infinity */
  count?: number;
  /** `lines`: "columns" (bare values under the header), "labels" (`name:value`) or "pairs" (`name=value`). @default "columns" */
  format?: "columns" | "labels" | "pairs";
  /** `lines`: the header it sends first: "hash" (`# name[units] …`), "names" (a bare `temperature pressure` line), "labels" (`temperature:\tpressure:`) or "none". @default "hash" */
  header?: "hash" | "names" | "labels" | "none";
  /** `lines`: send the tail of a line first, as when connecting mid-stream. @default false */
  startMidLine?: boolean;
  /** `lines`: send a line that does not parse instead of data line n. @default none */
  badLine?: (n: number) => boolean;
  /** Polled: delay before each answer, in ms. @default 20 */
  latencyMs?: number;
  /** Polled: leave measurement query n unanswered (the host times out). @default none */
  ignore?: (n: number) => boolean;
  /** Polled: bytes sent unsolicited right after every measurement reply — stale input a host must flush. */
  staleAfterReply?: string;
  /** The value of reading n (instrument units); see each simulator for the defaults. */
  value?: (n: number, channel: string) => number;
  /** `pfeiffer-tpg26x`: the status of measurement n (0 ok, 1–6 see PFEIFFER_STATUS). @default 0 */
  status?: (n: number) => number;
  /**
   * The new framed and gauge simulators: what the instrument answers instead of a value for measurement n
   * (`LO`, `OFF`, `>1.00E+03` on an MKS 937B; `OPEN` on an XGS-600; `9.90E+09` on a GP 350; `--------` on
   * an STM-100; an SQM-160 status letter such as `C`; a Modbus exception code such as `2`). @default none
   */
  statusOf?: (n: number, channel: string) => string | undefined;
  /** Framed simulators: corrupt the check bytes of the reply to measurement n (it produces nothing). @default none */
  corrupt?: (n: number) => boolean;
  /** The instrument's address: IMPAC "00", MKS "253", XGS-600 "00", Eurotherm "01", Modbus slave "1". */
  address?: string;
  /** `scpi`: the query it answers with a reading. @default any query ending in "?" */
  command?: string;
  /** `agilent-xgs600`: how many gauges it reports. @default 3 */
  gauges?: number;
  /** `modbus-rtu`: how it stores values (what the driver must be told). @default "int16" */
  dataType?: ModbusDataType;
  /** `modbus-rtu`: word order of 32-bit values. @default "big" */
  wordOrder?: "big" | "little";
  /** `modbus-rtu`: the value it stores is value / scale (the driver multiplies by scale). @default 1 */
  scale?: number;
  /**
   * Cut the output into chunks: `{ seed, maxChunk }` draws sizes 1…maxChunk (default 8) from a seeded
   * generator (the `lines` simulator cuts its whole output, so a chunk may end one line and start the
   * next, and a tail may wait for the next line); a function cuts each write as it likes.
   * @default every write in one chunk
   */
  chunking?: { seed?: number; maxChunk?: number } | ((bytes: Uint8Array) => Uint8Array[]);
}

export interface InstrumentSimulator {
  readonly id: string;
  /** What the instrument sends. */
  readonly readable: ReadableStream<Uint8Array>;
  /** What the instrument is sent. */
  readonly writable: WritableStream<Uint8Array>;
  /** The readings a correct driver gets from what was sent, in order. */
  readonly produced: ProducedValue[];
  /** Commands received, control characters made visible (`PR1`, `<ENQ>`). */
  readonly received: string[];
  /** Commands that arrived while an earlier one was still being answered (one query in flight: 0). */
  readonly overlaps: number;
  /** Stop: end the readable, ignore what is written. */
  close(): void;
}
