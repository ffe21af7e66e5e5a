/** What pollTimeseries reads, yields and takes: the client it needs, a snapshot, its options. */
import type { AtomscaleClient } from "../api/client.js";
import type { Timeseries } from "../api/types.js";

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
