/**
 * The poll itself: one fixed-rate schedule (tick n+1 = tick n + interval + jitter; ticks already past are
 * skipped, never caught up in a burst), one stop signal (the caller's or the poll's own), 404 as "no data
 * yet", errors to `onError` or out, snapshots deduplicated by `distinctBy`, ended by `until` or `maxPolls`.
 */
import { ApiError } from "../api/errors.js";
import type { Timeseries } from "../api/types.js";
import type { Settings } from "./settings.js";
import type { PollSnapshot, TimeseriesReader } from "./types.js";

const NO_KEY: unique symbol = Symbol("no key yet");

export async function* pollLoop(
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
