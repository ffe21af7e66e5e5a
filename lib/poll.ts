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
 * Its parts in poll/: what it reads, yields and takes (types.ts), the options checked (settings.ts), the
 * schedule and the fetches (loop.ts).
 */
import { checkDataId } from "./input.js";
import { pollLoop } from "./poll/loop.js";
import { checkOptions } from "./poll/settings.js";
import type { PollSnapshot, PollTimeseriesOptions, TimeseriesReader } from "./poll/types.js";

export type { PollErrorContext, PollSnapshot, PollTimeseriesOptions, TimeseriesReader } from "./poll/types.js";

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
