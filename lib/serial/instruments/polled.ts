/**
 * What every polled driver shares (reference §1.2–1.3): one query in flight; stale input flushed before
 * each query; a reply timeout that is reported and then polling goes on; the next query sent when the
 * reply is in — a promise chain, never a timer as the cadence (timers are throttled in hidden tabs);
 * `intervalMs` keeps at most one reading per interval by comparing timestamps, not by sleeping.
 */
import type { DriverOptions, DriverProblem, InstrumentIO, TimedBytes } from "../driver.js";
import { LineFramer, type TimedLine } from "../framing.js";
import type { Reading } from "../../types.js";
import { nowSeconds } from "../../types.js";
import { ReadableStreamBase } from "../../streams/web-streams.js";
import { guardReadings, ownUnits } from "../reading-guard.js";

/** Polled drivers: how long to wait for a reply. */
export const DEFAULT_TIMEOUT_MS = 1000;

/** After a problem, the silence (ms) that must pass before the next query goes out. */
export const QUIET_MS = 30;

/** Problems with a whole, well-formed reply (a status, a refusal): the line is in step, no need to wait for quiet. */
const WELL_FORMED: ReadonlySet<string> = new Set(["status", "out-of-range", "nak", "exception", "refused", "missing", "bad-reading"]);

/**
 * Resolve after the event loop has run other tasks once — a message to a fresh `MessageChannel`, which
 * browsers do not throttle in hidden tabs as they do timers. Keeps an instrument that answers at once
 * (a simulator: microtasks only) from starving everything else.
 */
export function nextMacrotask(): Promise<void> {
  if (typeof MessageChannel !== "function") return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      port2.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** What `orAbort` gives when the signal aborts first. */
export const ABORTED: unique symbol = Symbol("aborted");

/**
 * `promise`, or ABORTED as soon as `signal` aborts. The abort listener is removed when `promise`
 * settles (racing against one long-lived promise instead would pile up a reaction per call).
 */
export function orAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** A plain decimal or scientific number (`+077.350`, `1.2300E-05`, `-.5`); anything else is undefined. */
export function parseDecimal(text: string): number | undefined {
  const s = text.trim();
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) return undefined;
  const value = Number(s);
  return Number.isFinite(value) ? value : undefined;
}

const CONTROL_NAMES: ReadonlyMap<number, string> = new Map([[0x02, "<STX>"], [0x03, "<ETX>"], [0x04, "<EOT>"], [0x05, "<ENQ>"], [0x06, "<ACK>"], [0x0a, "\\n"], [0x0d, "\\r"], [0x15, "<NAK>"]]);

/** Text with its control characters made visible, for messages: `PR1\r\n`, `<ENQ>`. */
export function visible(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => CONTROL_NAMES.get(c.charCodeAt(0)) ?? `<0x${c.charCodeAt(0).toString(16).padStart(2, "0")}>`);
}

/** What one query cycle of a polled driver works with; `F` is a reply (a line, or a framed reply). */
export interface PollContext<F = TimedLine> {
  /** Flush stale input, forget any partial reply, send this, and start the reply timeout. */
  send(query: string | Uint8Array): Promise<void>;
  /** The next reply (a non-blank line for line drivers), or undefined after a timeout (already reported) or at the end. */
  reply(): Promise<F | undefined>;
  /** Report a problem with a reply. */
  problem(kind: string, message: string, raw?: string, t?: number): void;
  /** The reading's units for this channel: `options.units[channel]`, else the instrument's. */
  units(channel: string, instrumentUnits: string): string;
}

/** One query cycle: the readings it yields (often one; none after a problem). */
export type PollCycle<F = TimedLine> = (ctx: PollContext<F>) => Promise<Reading[]>;

/** How a polled driver cuts replies from its input (a `LineFramer`, an `EnvelopeFramer`, a `DelimiterFramer`). */
export interface ReplyFramer<F extends { t: number }> {
  push(chunk: TimedBytes): F[];
  reset(): void;
}

const encoder = new TextEncoder();

/**
 * Readings from a polled instrument whose replies are lines ending in CR, LF or CR LF: runs `cycle`
 * again and again, each cycle's queries strictly one after another, until `io` ends, `options.signal`
 * aborts or the stream is cancelled. Polling runs only while someone reads the stream (highWaterMark 0).
 */
export function pollReadings(io: InstrumentIO, options: DriverOptions, cycle: PollCycle, tuning: PollTuning = {}): ReadableStream<Reading[]> {
  return pollFrames(
    io,
    options,
    (report): ReplyFramer<TimedLine> => {
      const framer = new LineFramer({ cr: true, onProblem: report });
      return {
        push: (chunk) => framer.push(chunk).filter((line) => line.text.trim() !== ""),
        reset: () => framer.reset(),
      };
    },
    cycle,
    tuning,
  );
}

/** A driver's own defaults for slow lines (a 300-baud gauge needs more than 1 s per reply). */
export interface PollTuning {
  /** The reply timeout when `options.timeoutMs` is not given. @default DEFAULT_TIMEOUT_MS */
  timeoutMs?: number;
  /** The silence that counts as a quiet line after a problem (a few character times at least). @default QUIET_MS */
  quietMs?: number;
}

/**
 * `pollReadings` with replies cut by the framer `makeFramer` builds (given the function its problems go
 * to). Everything else is the same: one query in flight; before each query, input already on its way
 * let in and flushed, and the framer reset; after any problem, the next query waits for a quiet line
 * (`QUIET_MS`), so a late reply is not taken for the next one's; a reported timeout; every reading
 * checked (`bad-reading` reported and left out) before it goes on.
 */
export function pollFrames<F extends { t: number }>(
  io: InstrumentIO,
  options: DriverOptions,
  makeFramer: (report: (problem: DriverProblem) => void) => ReplyFramer<F>,
  cycle: PollCycle<F>,
  tuning: PollTuning = {},
): ReadableStream<Reading[]> {
  const timeoutMs = options.timeoutMs ?? tuning.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const intervalS = (options.intervalMs ?? 0) / 1000;
  const signal = options.signal;
  const replies: F[] = [];
  let stopped = false;
  let deadline = 0;
  let lastQuery = "";
  let lastT: number | undefined;
  const isStopped = () => stopped || signal?.aborted === true || io.ended;
  let troubled = false;
  const report = (p: DriverProblem) => {
    if (!WELL_FORMED.has(p.kind)) troubled = true;
    options.onProblem?.(p);
  };
  const framer = makeFramer(report);
  const quietMs = Math.min(tuning.quietMs ?? QUIET_MS, timeoutMs);
  /** Read and drop input until none has come for `quietMs` (at most `timeoutMs` in all). */
  const drainUntilQuiet = async () => {
    const until = performance.now() + timeoutMs;
    while (!stopped && performance.now() < until) {
      const chunk = await orAbort(io.read(quietMs), signal);
      if (chunk === undefined || chunk === ABORTED) return;
    }
  };

  const ctx: PollContext<F> = {
    async send(query) {
      // Let bytes already on their way reach the input first, so that the flush drops them too; after a
      // problem (a bad or missing reply, stray bytes), wait until the line is quiet: a late reply to the
      // last query must not be taken for the reply to this one.
      // Once stopped, nothing more is sent: the rest of a cycle's queries fall through (one query in flight).
      if (isStopped()) {
        stopped = true;
        return;
      }
      await nextMacrotask();
      if (troubled) {
        troubled = false;
        await drainUntilQuiet();
      }
      if (isStopped()) {
        stopped = true;
        return;
      }
      io.flushInput();
      framer.reset();
      replies.length = 0;
      const bytes = typeof query === "string" ? encoder.encode(query) : query;
      lastQuery = visible(typeof query === "string" ? query : latin1(query));
      if ((await orAbort(io.write(bytes), signal)) === ABORTED) stopped = true;
      deadline = performance.now() + timeoutMs;
    },
    async reply() {
      for (;;) {
        if (stopped) return undefined;
        const next = replies.shift();
        if (next) return next;
        const remaining = deadline - performance.now();
        const chunk = remaining > 0 ? await orAbort(io.read(remaining), signal) : undefined;
        if (chunk === ABORTED || signal?.aborted) {
          stopped = true;
          return undefined;
        }
        if (chunk === undefined) {
          if (io.ended) {
            stopped = true;
            return undefined;
          }
          report({ kind: "timeout", message: `No reply to ${lastQuery} within ${timeoutMs} ms; polling goes on.`, t: nowSeconds() });
          return undefined;
        }
        replies.push(...framer.push(chunk));
      }
    },
    problem(kind, message, raw, t) {
      report({ kind, message, raw, t: t ?? nowSeconds() });
    },
    units(channel, instrumentUnits) {
      return ownUnits(options.units, channel) ?? instrumentUnits;
    },
  };

  return new ReadableStreamBase<Reading[]>(
    {
      async pull(controller) {
        for (;;) {
          if (isStopped()) {
            controller.close();
            return;
          }
          await nextMacrotask();
          if (isStopped()) {
            controller.close();
            return;
          }
          const readings = guardReadings(await cycle(ctx), report);
          const first = readings[0];
          if (stopped || signal?.aborted) {
            controller.close();
            return;
          }
          if (first && (lastT === undefined || first.t - lastT >= intervalS)) {
            lastT = first.t;
            controller.enqueue(readings);
            return;
          }
        }
      },
      cancel() {
        stopped = true;
      },
    },
    { highWaterMark: 0 },
  );
}

/** Bytes as one character each (for showing binary queries and replies in messages). */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}
