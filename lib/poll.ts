/**
 * Reading a stream back while it is being written: the Python SDK's `iter_poll` / `aiter_poll`
 * (reference §2.3), as an async iterable and a `ReadableStream`, with the SDK's bugs fixed:
 *
 * - it polls the metrology (or tool-state) timeseries endpoint, not the RHEED one;
 * - `fireImmediately: false` really waits one interval before the first fetch;
 * - an error nobody handles ends the iteration instead of vanishing;
 * - it stops promptly on abort, also in the middle of a wait or a fetch;
 * - one schedule for every case: fixed-rate ticks, missed ticks skipped, never a burst of catch-up fetches.
 *
 * Runtime-neutral: web-standard globals only (`setTimeout`, `AbortController`, `ReadableStream`, `performance`).
 */
import type { AtomscaleClient } from "./api/client.js";
import { ApiError } from "./api/errors.js";
import type { Timeseries } from "./api/types.js";
import { checkDataId, InvalidInputError } from "./input.js";

/** What polling needs of a client: an {@link AtomscaleClient}, or anything with its `getTimeseries`. */
export type TimeseriesReader = Pick<AtomscaleClient, "getTimeseries">;

/** One successful read of the stream. */
export interface PollSnapshot {
  /** The stream as the server answered it, in the client's normalized shape (`{ properties }`). */
  timeseries: Timeseries;
  /** When the answer arrived (Unix epoch milliseconds, `Date.now()`). */
  polledAt: number;
  /** Which fetch this was, 1-based. Failed fetches count too, so numbers can be skipped. */
  poll: number;
}

/** What a poll's `onError` learns besides the error. */
export interface PollErrorContext {
  /** The 1-based number of the fetch that failed. */
  poll: number;
  dataId: string;
}

export interface PollTimeseriesOptions {
  /** Time between the starts of two fetches, in milliseconds (> 0). @default 1000 */
  intervalMs?: number;
  /**
   * Only the last N points of each property (the endpoint's `last_n`; a server that ignores it is
   * trimmed client-side). @default undefined (everything)
   */
  lastN?: number;
  /**
   * A 404 of the read-back means "no data yet" (a stream just initialized, or one the platform has not
   * indexed yet), as in the SDK: the snapshot is empty and polling goes on. `false` makes a 404 an
   * error like any other (to `onError`, or rejecting the iteration). @default true
   */
  notFoundAsEmpty?: boolean;
  /**
   * Yield a snapshot only when this key differs from the key of the last yielded one. Keys are
   * compared by value: primitives with `Object.is`, arrays and plain objects element by element
   * (so `(s) => [count, lastT]` works). {@link distinctByContent} is a ready-made key.
   * @default undefined (every successful fetch is yielded)
   */
  distinctBy?: (snapshot: PollSnapshot) => unknown;
  /** Stop after yielding a snapshot for which this is true. Evaluated on yielded snapshots only. */
  until?: (snapshot: PollSnapshot) => boolean;
  /** Stop after this many fetches, failed ones included. 0 or undefined: no limit. @default undefined */
  maxPolls?: number;
  /**
   * `true`: the first fetch happens at once. `false`: the first fetch happens one interval
   * (plus jitter) after the iteration starts. @default true
   */
  fireImmediately?: boolean;
  /**
   * Lengthen each period by a uniform random `[0, min(jitterMs, intervalMs)]` ms, so many pollers
   * spread out. The period is only ever lengthened: two fetches never start less than `intervalMs` apart.
   * @default 0
   */
  jitterMs?: number;
  /**
   * Called (and awaited) with each failed fetch's error (usually an `ApiError`: check its
   * `classification`). Polling goes on after it returns; if it throws, the iteration rejects with
   * what it threw. Without `onError`, the first failed fetch rejects the iteration with its error.
   * An abort through `signal` is never reported here.
   */
  onError?: (error: unknown, context: PollErrorContext) => void | Promise<void>;
  /**
   * Stops polling promptly — during a wait, during a fetch (which is aborted) or between snapshots.
   * The iteration then ends quietly (`done`), it does not throw the abort reason.
   */
  signal?: AbortSignal;
  /** Monotonic clock in milliseconds, for the schedule (tests). @default () => performance.now() */
  now?: () => number;
  /**
   * Wait `ms` milliseconds; must settle early when `signal` aborts (tests).
   * @default an abortable `setTimeout`
   */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Uniform random numbers in [0, 1), for the jitter (tests). @default Math.random */
  random?: () => number;
}

/**
 * A running (or not yet started) poll: an async iterator of snapshots, and a `ReadableStream` of
 * them through {@link TimeseriesPoll.stream}. Nothing is fetched before the first `next()` (the first
 * turn of `for await`, the first read of the stream); between snapshots the poll waits for its
 * consumer, so a slow consumer makes it skip ticks, never queue fetches.
 */
export interface TimeseriesPoll extends AsyncIterableIterator<PollSnapshot, undefined, undefined> {
  /** Stop polling: aborts a wait or a fetch in progress; the iteration ends (`done`). */
  return(): Promise<IteratorReturnResult<undefined>>;
  /**
   * The same snapshots as a `ReadableStream` (pull-based: a fetch happens only while someone reads).
   * Cancelling the stream stops polling. Use either the stream or the iterator, not both.
   */
  stream(): ReadableStream<PollSnapshot>;
}

/**
 * Poll `GET {streamPrefix}/{dataId}/timeseries/` through `client.getTimeseries` on a fixed-rate
 * schedule: tick n+1 = tick n + `intervalMs` (+ jitter); when a fetch (or the consumer) overruns one
 * or more ticks, the next fetch happens at the next tick still in the future.
 *
 * Breaking out of `for await`, calling `return()`, cancelling the stream or aborting `signal` stops
 * polling and leaves no timer behind. The iteration rejects only with an error of the fetch when there
 * is no `onError`, or with what `onError`, `distinctBy` or `until` threw.
 *
 * @example
 * const ac = new AbortController();
 * for await (const { timeseries, poll } of pollTimeseries(client, dataId, {
 *   intervalMs: 2000,
 *   lastN: 100,
 *   distinctBy: distinctByContent,
 *   onError: (e) => { if (!(e instanceof ApiError) || e.classification !== "transient") throw e; },
 *   signal: ac.signal,
 * })) {
 *   draw(timeseries.properties.temperature);
 * }
 */
export function pollTimeseries(client: TimeseriesReader, dataId: string, options: PollTimeseriesOptions = {}): TimeseriesPoll {
  checkDataId(dataId);
  const settings = checkOptions(options);
  const stopper = new AbortController();
  const generator = pollLoop(client, dataId, settings, stopper.signal);
  let streamed = false;

  const poll: TimeseriesPoll = {
    [Symbol.asyncIterator]() {
      return poll;
    },
    next() {
      return generator.next();
    },
    async return() {
      stopper.abort();
      // A pending next() settles promptly now (its wait or fetch is aborted); this queues behind it.
      await generator.return(undefined);
      return { done: true, value: undefined };
    },
    stream() {
      if (streamed) throw new TypeError("TimeseriesPoll.stream() can be called only once per poll.");
      streamed = true;
      return snapshotStream(poll);
    },
  };
  return poll;
}

/** {@link pollTimeseries} as a `ReadableStream`; cancelling it stops polling. */
export function pollTimeseriesStream(
  client: TimeseriesReader,
  dataId: string,
  options: PollTimeseriesOptions = {},
): ReadableStream<PollSnapshot> {
  return pollTimeseries(client, dataId, options).stream();
}

/**
 * A `distinctBy` key that changes whenever anything in the answer changes (a new point, a replaced
 * partial chunk, new units): the snapshot's timeseries as JSON.
 */
export function distinctByContent(snapshot: PollSnapshot): string {
  return JSON.stringify(snapshot.timeseries);
}

// ---- internals ----

interface Settings {
  intervalMs: number;
  lastN: number | undefined;
  notFoundAsEmpty: boolean;
  distinctBy: ((snapshot: PollSnapshot) => unknown) | undefined;
  until: ((snapshot: PollSnapshot) => boolean) | undefined;
  maxPolls: number;
  fireImmediately: boolean;
  jitterMs: number;
  onError: PollTimeseriesOptions["onError"];
  signal: AbortSignal | undefined;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
}

function checkOptions(o: PollTimeseriesOptions): Settings {
  const intervalMs = o.intervalMs ?? 1000;
  if (typeof intervalMs !== "number" || !Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new InvalidInputError("intervalMs", intervalMs, "must be a finite number of milliseconds > 0");
  }
  if (o.lastN !== undefined && (typeof o.lastN !== "number" || !Number.isSafeInteger(o.lastN) || o.lastN < 0)) {
    throw new InvalidInputError("lastN", o.lastN, "must be a whole number ≥ 0 when given");
  }
  const maxPolls = o.maxPolls ?? 0;
  if (typeof maxPolls !== "number" || !Number.isSafeInteger(maxPolls) || maxPolls < 0) {
    throw new InvalidInputError("maxPolls", o.maxPolls, "must be a whole number ≥ 0 (0: no limit)");
  }
  const jitterMs = o.jitterMs ?? 0;
  if (typeof jitterMs !== "number" || !Number.isFinite(jitterMs) || jitterMs < 0) {
    throw new InvalidInputError("jitterMs", jitterMs, "must be a finite number of milliseconds ≥ 0");
  }
  if (o.notFoundAsEmpty !== undefined && typeof o.notFoundAsEmpty !== "boolean") {
    throw new InvalidInputError("notFoundAsEmpty", o.notFoundAsEmpty, "must be true or false when given");
  }
  for (const name of ["distinctBy", "until", "onError", "now", "sleep", "random"] as const) {
    if (o[name] !== undefined && typeof o[name] !== "function") throw new InvalidInputError(name, o[name], "must be a function when given");
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new InvalidInputError("signal", o.signal, "must be an AbortSignal when given");
  }
  return {
    intervalMs,
    lastN: o.lastN,
    notFoundAsEmpty: o.notFoundAsEmpty ?? true,
    distinctBy: o.distinctBy,
    until: o.until,
    maxPolls,
    fireImmediately: o.fireImmediately ?? true,
    jitterMs: Math.min(jitterMs, intervalMs),
    onError: o.onError,
    signal: o.signal,
    now: o.now ?? (() => performance.now()),
    sleep: o.sleep ?? abortableSleep,
    random: o.random ?? Math.random,
  };
}

const NO_KEY: unique symbol = Symbol("no key yet");

async function* pollLoop(
  client: TimeseriesReader,
  dataId: string,
  s: Settings,
  stopSignal: AbortSignal,
): AsyncGenerator<PollSnapshot, undefined, undefined> {
  // One signal for "stop": the caller's signal or the poll's own return()/cancel.
  const stop = new AbortController();
  const onStop = () => stop.abort();
  if (s.signal?.aborted || stopSignal.aborted) return undefined;
  s.signal?.addEventListener("abort", onStop, { once: true });
  stopSignal.addEventListener("abort", onStop, { once: true });
  try {
    const jitter = () => (s.jitterMs > 0 ? s.random() * s.jitterMs : 0);
    let tick = s.now() + (s.fireImmediately ? 0 : s.intervalMs + jitter());
    let polls = 0;
    let lastKey: unknown = NO_KEY;
    for (;;) {
      // Wait for the tick, and never start early: timers may fire a little before their time.
      for (let wait = tick - s.now(); wait > 0 && !stop.signal.aborted; wait = tick - s.now()) {
        await s.sleep(wait, stop.signal);
      }
      if (stop.signal.aborted) return undefined;

      polls += 1;
      let timeseries: Timeseries | undefined;
      try {
        // The client answers null only for return_null_if_missing, which is never sent; read it as empty.
        const answer = await client.getTimeseries(dataId, { lastN: s.lastN, signal: stop.signal });
        timeseries = answer ? trimToLast(answer, s.lastN) : emptyTimeseries();
      } catch (error) {
        if (stop.signal.aborted) return undefined;
        if (s.notFoundAsEmpty && error instanceof ApiError && error.status === 404) {
          timeseries = emptyTimeseries();
        } else if (!s.onError) throw error;
        else await s.onError(error, { poll: polls, dataId });
      }
      if (stop.signal.aborted) return undefined;

      if (timeseries) {
        const snapshot: PollSnapshot = { timeseries, polledAt: Date.now(), poll: polls };
        const key = s.distinctBy ? s.distinctBy(snapshot) : NO_KEY;
        if (!s.distinctBy || !sameKey(key, lastKey)) {
          lastKey = key;
          yield snapshot;
          if (stop.signal.aborted) return undefined;
          if (s.until?.(snapshot)) return undefined;
        }
      }
      if (s.maxPolls > 0 && polls >= s.maxPolls) return undefined;

      // Fixed rate: the next tick follows the last tick, not the end of the fetch. Ticks already
      // past (a slow fetch, a slow consumer) are skipped: the next fetch is at the next future tick.
      tick += s.intervalMs + jitter();
      const late = s.now() - tick;
      if (late > 0) tick += Math.ceil(late / s.intervalMs) * s.intervalMs;
    }
  } finally {
    s.signal?.removeEventListener("abort", onStop);
    stopSignal.removeEventListener("abort", onStop);
    stop.abort(); // nothing of this poll outlives it
  }
}

function emptyTimeseries(): Timeseries {
  return { properties: Object.create(null) as Timeseries["properties"] };
}

/** At most the last `lastN` points of each property: what `last_n` asks for, should the server ignore it. */
function trimToLast(timeseries: Timeseries, lastN: number | undefined): Timeseries {
  if (lastN === undefined) return timeseries;
  const over = Object.values(timeseries.properties).some((p) => p.values.length > lastN || p.unixTimestampMs.length > lastN);
  if (!over) return timeseries;
  const properties = Object.create(null) as Timeseries["properties"];
  const tail = <T>(xs: T[]) => (lastN === 0 ? [] : xs.slice(-lastN));
  for (const [name, p] of Object.entries(timeseries.properties)) {
    properties[name] = {
      unixTimestampMs: tail(p.unixTimestampMs),
      relativeTimeSeconds: tail(p.relativeTimeSeconds),
      values: tail(p.values),
      units: p.units,
    };
  }
  return { properties };
}

/** Resolves after `ms`, or as soon as `signal` aborts; the timer is cleared either way. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function snapshotStream(poll: TimeseriesPoll): ReadableStream<PollSnapshot> {
  let cancelled = false;
  return new ReadableStream<PollSnapshot>(
    {
      async pull(controller) {
        const result = await poll.next();
        if (cancelled) return;
        if (result.done) controller.close();
        else controller.enqueue(result.value);
      },
      async cancel() {
        cancelled = true;
        await poll.return();
      },
    },
    // Pull only on demand: no fetch runs ahead of the reader.
    { highWaterMark: 0 },
  );
}

/** Keys equal by value: primitives by Object.is, arrays and plain objects member by member. */
function sameKey(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameKey(x, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameKey(a[k], b[k]));
}

function isPlainObject(x: object): x is Record<string, unknown> {
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}
