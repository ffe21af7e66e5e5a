/**
 * pollTimeseries against the real emulator process, over HTTP, in real time. Timing is checked by
 * recording when each timeseries request leaves the client (an injected fetch wrapper) and by
 * counting requests; lower bounds are tight, upper bounds generous (shared, noisy machines).
 * A last block checks the exact schedule on an injected clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiError,
  AtomscaleClient,
  distinctByContent,
  InvalidInputError,
  pollTimeseries,
  pollTimeseriesStream,
  type PollSnapshot,
  type Timeseries,
  type TimeseriesReader,
} from "../lib/index.js";
import { emulatorOn, http, type RunningEmulator } from "./helpers/emulator.js";

/** Timers may fire a millisecond or two off; request starts are recorded after ky's own work. */
const SLACK = 8;
const T0 = 1705312200;

let emu: RunningEmulator;
let raw: ReturnType<typeof http>;

beforeAll(async () => {
  emu = await emulatorOn("pglite");
  raw = http(emu);
});
afterAll(async () => {
  await emu?.stop();
});

async function newStream(values: number[]): Promise<string> {
  const init = await raw("POST", "/metrology/stream/initialize", { points_per_chunk: 100, stream_name: "poll test" });
  expect(init.status).toBe(200);
  const dataId = init.body.data_id as string;
  if (values.length > 0) await writeChunk(dataId, 0, values);
  return dataId;
}

async function writeChunk(dataId: string, chunkIndex: number, values: number[]): Promise<void> {
  const timestamps = values.map((_, i) => T0 + chunkIndex * 100 + i);
  const res = await raw("POST", "/metrology/stream/chunk", {
    data_id: dataId,
    chunk_index: chunkIndex,
    channel_name: "temperature",
    timestamps,
    values,
    units: "C",
  });
  expect(res.status).toBe(200);
}

interface Recorder {
  client: AtomscaleClient;
  /** performance.now() when each timeseries request was handed to fetch. */
  starts: number[];
  /** Timeseries requests whose signal aborted while the wrapper held them. */
  aborted: number;
  /** Timeseries requests answered (the server's answer was made before its headers came back). */
  answered: number;
}

/** An AtomscaleClient on the emulator whose fetch records (and optionally slows) timeseries requests. */
function recordingClient(options: { delayMs?: number; apiKey?: string } = {}): Recorder {
  const rec: Recorder = { client: undefined as unknown as AtomscaleClient, starts: [], aborted: 0, answered: 0 };
  const wrapped: typeof fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    if (new URL(request.url).pathname.includes("/timeseries")) {
      rec.starts.push(performance.now());
      if (options.delayMs) {
        await new Promise<void>((resolve, reject) => {
          const signal = request.signal;
          if (signal.aborted) return reject(signal.reason);
          const timer = setTimeout(resolve, options.delayMs);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            rec.aborted += 1;
            reject(signal.reason);
          }, { once: true });
        });
      }
      const response = await fetch(input, init);
      rec.answered += 1;
      return response;
    }
    return fetch(input, init);
  };
  rec.client = new AtomscaleClient({ apiKey: options.apiKey ?? emu.apiKey, endpoint: emu.url, fetch: wrapped });
  return rec;
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await sleep(5);
  }
}

const temperature = (s: PollSnapshot) => s.timeseries.properties.temperature?.values ?? [];

describe("pollTimeseries against the emulator", () => {
  it("polls at the interval and yields numbered, time-stamped snapshots of the stream", async () => {
    const dataId = await newStream([600, 601, 602]);
    const rec = recordingClient();
    const before = Date.now();
    const from = performance.now();
    const snapshots = await collect(pollTimeseries(rec.client, dataId, { intervalMs: 100, maxPolls: 5 }));
    expect(snapshots.map((s) => s.poll)).toEqual([1, 2, 3, 4, 5]);
    expect(rec.starts).toHaveLength(5);
    // Fixed rate: fetch k never starts before its tick, first + k·interval (a late fetch may be followed
    // by a shorter gap, so pairwise gaps are not the property).
    rec.starts.forEach((t, k) => expect(t - from).toBeGreaterThanOrEqual(k * 100 - SLACK));
    for (const s of snapshots) {
      expect(s.timeseries.properties.temperature).toEqual({
        unixTimestampMs: [T0 * 1000, (T0 + 1) * 1000, (T0 + 2) * 1000],
        relativeTimeSeconds: [0, 1, 2],
        values: [600, 601, 602],
        units: "C",
      });
    }
    const polledAt = snapshots.map((s) => s.polledAt);
    expect(polledAt[0]).toBeGreaterThanOrEqual(before);
    expect(polledAt).toEqual([...polledAt].sort((a, b) => a - b));
    // Fixed rate, not drifting: 4 periods take about 400 ms, not "400 ms plus 4 fetches" (generous).
    expect(rec.starts[4]! - rec.starts[0]!).toBeLessThan(400 + 1000);
  });

  it("fires at once by default, and fireImmediately: false really waits one interval first", async () => {
    const dataId = await newStream([1]);
    const eager = recordingClient();
    let t0 = performance.now();
    await collect(pollTimeseries(eager.client, dataId, { intervalMs: 10_000, maxPolls: 1 }));
    expect(eager.starts).toHaveLength(1);
    expect(eager.starts[0]! - t0).toBeLessThan(5_000); // far from the 10 s interval

    const patient = recordingClient();
    const poll = pollTimeseries(patient.client, dataId, { intervalMs: 150, maxPolls: 2, fireImmediately: false });
    await sleep(300); // creating the poll starts nothing: the first next() does
    expect(patient.starts).toHaveLength(0);
    t0 = performance.now();
    const snapshots = await collect(poll);
    expect(snapshots.map((s) => s.poll)).toEqual([1, 2]);
    expect(patient.starts[0]! - t0).toBeGreaterThanOrEqual(150 - SLACK);
    expect(patient.starts[1]! - patient.starts[0]!).toBeGreaterThanOrEqual(150 - SLACK);
  });

  it("passes lastN through: the server answers only the last N points", async () => {
    const dataId = await newStream([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const rec = recordingClient();
    const [last3] = await collect(pollTimeseries(rec.client, dataId, { lastN: 3, maxPolls: 1 }));
    expect(last3!.timeseries.properties.temperature?.values).toEqual([7, 8, 9]);
    expect(last3!.timeseries.properties.temperature?.unixTimestampMs).toEqual([7, 8, 9].map((i) => (T0 + i) * 1000));
    const [all] = await collect(pollTimeseries(rec.client, dataId, { maxPolls: 1 }));
    expect(temperature(all!)).toHaveLength(10);
  });

  it("distinctBy suppresses repeats and yields again when new data lands; until stops there", async () => {
    const dataId = await newStream([10, 11, 12]);
    const rec = recordingClient();
    // New data lands only after several polls have seen the same answer.
    const writer = (async () => {
      // Answered, not only started: a read still in flight could be answered after the write lands.
      await waitFor(() => rec.answered >= 4);
      await writeChunk(dataId, 1, [13, 14, 15]);
    })();
    const snapshots = await collect(
      pollTimeseries(rec.client, dataId, {
        intervalMs: 50,
        distinctBy: distinctByContent,
        until: (s) => temperature(s).length >= 6,
      }),
    );
    await writer;
    expect(snapshots.map(temperature)).toEqual([[10, 11, 12], [10, 11, 12, 13, 14, 15]]);
    expect(snapshots[0]!.poll).toBe(1);
    expect(snapshots[1]!.poll).toBeGreaterThanOrEqual(5); // polls 2..4 were answered before the write: repeats
    const fetched = rec.starts.length;
    expect(fetched).toBe(snapshots[1]!.poll);
    await sleep(200);
    expect(rec.starts.length).toBe(fetched); // until ended the polling
  });

  it("distinctBy keys compare by value (arrays), not by identity", async () => {
    const dataId = await newStream([1, 2]);
    const rec = recordingClient();
    const snapshots = await collect(
      pollTimeseries(rec.client, dataId, {
        intervalMs: 50,
        maxPolls: 4,
        distinctBy: (s) => [Object.keys(s.timeseries.properties), temperature(s).length],
      }),
    );
    expect(rec.starts).toHaveLength(4);
    expect(snapshots.map((s) => s.poll)).toEqual([1]);
  });

  it("until stops right after the first snapshot that satisfies it", async () => {
    const dataId = await newStream([1]);
    const rec = recordingClient();
    const seen: number[] = [];
    const snapshots = await collect(
      pollTimeseries(rec.client, dataId, {
        intervalMs: 50,
        until: (s) => {
          seen.push(s.poll);
          return s.poll === 3;
        },
      }),
    );
    expect(snapshots.map((s) => s.poll)).toEqual([1, 2, 3]);
    expect(seen).toEqual([1, 2, 3]);
    await sleep(200);
    expect(rec.starts).toHaveLength(3);
  });

  it("maxPolls counts failed fetches too; onError gets each ApiError and polling goes on", async () => {
    const rec = recordingClient();
    const errors: Array<{ error: unknown; poll: number }> = [];
    const unknown = "00000000-0000-4000-8000-0000000000aa";
    const snapshots = await collect(
      pollTimeseries(rec.client, unknown, {
        intervalMs: 50,
        maxPolls: 3,
        notFoundAsEmpty: false, // a 404 is "no data yet" by default since issue 12; here it is an error
        onError: (error, { poll, dataId }) => {
          expect(dataId).toBe(unknown);
          errors.push({ error, poll });
        },
      }),
    );
    expect(snapshots).toEqual([]);
    expect(rec.starts).toHaveLength(3);
    expect(errors.map((e) => e.poll)).toEqual([1, 2, 3]);
    for (const { error } of errors) {
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ status: 404, classification: "permanent" });
    }
  });

  it("a 404 of the read-back is \"no data yet\" by default: empty snapshots, polling goes on, data shows when it comes", async () => {
    const dataId = await newStream([7, 8]);
    const rec = recordingClient();
    let calls = 0;
    // The first two reads go to an id the server does not know yet (a real 404 from the emulator).
    const reader: TimeseriesReader = {
      getTimeseries: (_id, options) => rec.client.getTimeseries(++calls <= 2 ? "00000000-0000-4000-8000-0000000000dd" : dataId, options),
    };
    const errors: unknown[] = [];
    const snapshots = await collect(pollTimeseries(reader, dataId, { intervalMs: 50, maxPolls: 3, onError: (e) => void errors.push(e) }));
    expect(errors).toEqual([]);
    expect(snapshots.map((s) => s.poll)).toEqual([1, 2, 3]);
    expect(snapshots.map((s) => Object.keys(s.timeseries.properties))).toEqual([[], [], ["temperature"]]);
    expect(temperature(snapshots[2]!)).toEqual([7, 8]);
    // other errors still go to onError (or reject): a 401 is not "no data"
    const wrong = recordingClient({ apiKey: "not-the-key" });
    await expect(collect(pollTimeseries(wrong.client, dataId, { intervalMs: 50, maxPolls: 2 }))).rejects.toMatchObject({ status: 401 });
  });

  it("recovers after errors: a wrong key (401) is reported, a new key lets the next polls succeed", async () => {
    const dataId = await newStream([5, 6]);
    const rec = recordingClient({ apiKey: "not-the-key" });
    const errors: unknown[] = [];
    const snapshots = await collect(
      pollTimeseries(rec.client, dataId, {
        intervalMs: 50,
        maxPolls: 4,
        onError: async (error) => {
          errors.push(error);
          if (errors.length === 2) rec.client.setApiKey(emu.apiKey);
        },
      }),
    );
    expect(errors).toHaveLength(2);
    for (const error of errors) expect(error).toMatchObject({ name: "ApiError", status: 401, classification: "auth" });
    expect(String((errors[0] as Error).message)).not.toContain(emu.apiKey);
    expect(snapshots.map((s) => s.poll)).toEqual([3, 4]);
    expect(snapshots.map(temperature)).toEqual([[5, 6], [5, 6]]);
  });

  it("onError throwing ends the iteration with that very error, and polling stops", async () => {
    const rec = recordingClient();
    const giveUp = new Error("give up");
    let calls = 0;
    const poll = pollTimeseries(rec.client, "00000000-0000-4000-8000-0000000000bb", {
      intervalMs: 50,
      notFoundAsEmpty: false,
      onError: () => {
        calls += 1;
        if (calls === 2) throw giveUp;
      },
    });
    await expect(collect(poll)).rejects.toBe(giveUp);
    expect(rec.starts).toHaveLength(2);
    await sleep(200);
    expect(rec.starts).toHaveLength(2);
    expect(await poll.next()).toEqual({ done: true, value: undefined });
  });

  it("without onError, the first failed fetch rejects the iteration (errors are never swallowed silently)", async () => {
    const rec = recordingClient();
    const error = await collect(pollTimeseries(rec.client, "00000000-0000-4000-8000-0000000000cc", { intervalMs: 50, notFoundAsEmpty: false })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404 });
    expect(rec.starts).toHaveLength(1);
  });

  it("jitter lengthens each period by [0, min(jitterMs, intervalMs)]", async () => {
    const dataId = await newStream([1]);
    const jittery = recordingClient();
    // Tick k is at least k periods after polling began, and no fetch starts before its tick (measured from
    // the start, not from the first fetch, which may itself be late).
    const jitteryFrom = performance.now();
    await collect(pollTimeseries(jittery.client, dataId, { intervalMs: 60, jitterMs: 40, maxPolls: 8 }));
    expect(jittery.starts).toHaveLength(8);
    // Never before its tick; the jitter only lengthens periods (no wall-clock upper bound: machines are busy).
    jittery.starts.forEach((t, k) => expect(t - jitteryFrom).toBeGreaterThanOrEqual(k * 60 - SLACK));
    // The jitter is really added: with the random draw pinned near 1, every period is about interval + jitter.
    const pinned = recordingClient();
    const pinnedFrom = performance.now();
    await collect(pollTimeseries(pinned.client, dataId, { intervalMs: 50, jitterMs: 40, maxPolls: 5, random: () => 0.999 }));
    pinned.starts.forEach((t, k) => expect(t - pinnedFrom).toBeGreaterThanOrEqual(k * (50 + 40) - SLACK));
    // …and capped at the interval: jitterMs 5000 adds at most 50 ms to a 50 ms interval.
    const capped = recordingClient();
    const cappedFrom = performance.now();
    await collect(pollTimeseries(capped.client, dataId, { intervalMs: 50, jitterMs: 5_000, maxPolls: 5, random: () => 0.999 }));
    const cappedGaps = gaps(capped.starts);
    capped.starts.forEach((t, k) => expect(t - cappedFrom).toBeGreaterThanOrEqual(k * 100 - SLACK));
    expect(cappedGaps.reduce((a, b) => a + b, 0) / cappedGaps.length).toBeLessThan(1_000); // nowhere near 5 s
  });

  it("an abort during a wait ends the iteration promptly and quietly", async () => {
    const dataId = await newStream([1]);
    const rec = recordingClient();
    const ac = new AbortController();
    const seen: PollSnapshot[] = [];
    const started = performance.now();
    setTimeout(() => ac.abort(new Error("operator stop")), 150);
    for await (const s of pollTimeseries(rec.client, dataId, { intervalMs: 20_000, signal: ac.signal })) seen.push(s);
    expect(performance.now() - started).toBeLessThan(10_000); // the 20 s wait was cut short
    expect(seen.map((s) => s.poll)).toEqual([1]);
    expect(rec.starts).toHaveLength(1);

    // Already aborted: nothing is fetched at all.
    const none = await collect(pollTimeseries(rec.client, dataId, { signal: AbortSignal.abort() }));
    expect(none).toEqual([]);
    expect(rec.starts).toHaveLength(1);
  });

  it("an abort during a fetch aborts the request and ends promptly, without reaching onError", async () => {
    const dataId = await newStream([1]);
    const rec = recordingClient({ delayMs: 20_000 });
    const ac = new AbortController();
    const errors: unknown[] = [];
    const started = performance.now();
    setTimeout(() => ac.abort(), 150);
    const snapshots = await collect(
      pollTimeseries(rec.client, dataId, { intervalMs: 50, signal: ac.signal, onError: (e) => void errors.push(e) }),
    );
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(snapshots).toEqual([]);
    expect(errors).toEqual([]);
    expect(rec.starts).toHaveLength(1);
    expect(rec.aborted).toBe(1);
  });

  it("breaking out of for await stops polling", async () => {
    const dataId = await newStream([1]);
    const rec = recordingClient();
    let n = 0;
    for await (const s of pollTimeseries(rec.client, dataId, { intervalMs: 50 })) {
      n = s.poll;
      if (n === 2) break;
    }
    expect(rec.starts).toHaveLength(2);
    await sleep(250);
    expect(rec.starts).toHaveLength(2);
  });

  it("return() during a slow fetch aborts it and resolves the pending next() as done", async () => {
    const dataId = await newStream([1]);
    const rec = recordingClient({ delayMs: 20_000 });
    const poll = pollTimeseries(rec.client, dataId, { intervalMs: 50 });
    const pending = poll.next();
    await waitFor(() => rec.starts.length === 1);
    const started = performance.now();
    await poll.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(rec.aborted).toBe(1);
  });

  it("leaves no timer behind once the consumer stops (break, return, abort, cancel, or just walking away)", async () => {
    const dataId = await newStream([1]);
    const rec = recordingClient();
    // Track the poll's waits: every live timer longer than 40 s (ky's own request timeout is 30 s).
    const live = new Set<unknown>();
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    const patched = ((fn: () => void, ms?: number, ...rest: unknown[]) => {
      if ((ms ?? 0) <= 40_000) return realSet(fn, ms, ...rest);
      const handle: unknown = realSet(() => {
        live.delete(handle);
        fn();
      }, ms);
      live.add(handle);
      return handle;
    }) as typeof setTimeout;
    globalThis.setTimeout = patched;
    globalThis.clearTimeout = ((handle?: Parameters<typeof clearTimeout>[0]) => {
      live.delete(handle);
      realClear(handle);
    }) as typeof clearTimeout;
    try {
      const options = { intervalMs: 45_000 };

      for await (const _ of pollTimeseries(rec.client, dataId, options)) break;
      expect(live.size).toBe(0);

      const walkedAway = pollTimeseries(rec.client, dataId, options);
      await walkedAway.next(); // never resumed: parked at its yield, no wait pending
      expect(live.size).toBe(0);

      const returned = pollTimeseries(rec.client, dataId, options);
      await returned.next();
      const waiting = returned.next();
      await waitFor(() => live.size === 1); // the 45 s wait (so the tracking works)
      await returned.return();
      expect(await waiting).toEqual({ done: true, value: undefined });
      expect(live.size).toBe(0);

      const ac = new AbortController();
      const aborted = pollTimeseries(rec.client, dataId, { ...options, signal: ac.signal });
      await aborted.next();
      const abortedWait = aborted.next();
      await waitFor(() => live.size === 1);
      ac.abort();
      expect(await abortedWait).toEqual({ done: true, value: undefined });
      expect(live.size).toBe(0);

      const reader = pollTimeseriesStream(rec.client, dataId, options).getReader();
      await reader.read();
      const read = reader.read();
      await waitFor(() => live.size === 1);
      await reader.cancel();
      await read;
      expect(live.size).toBe(0);
      expect(rec.starts).toHaveLength(5);
    } finally {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    }
  });

  it("drift: a fetch slower than the interval skips the missed ticks instead of catching up", async () => {
    const dataId = await newStream([1]);
    // Each fetch takes ≥ 70 ms against a 50 ms interval: the tick after each fetch is missed.
    const rec = recordingClient({ delayMs: 70 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1_050);
    const began = performance.now(); // the schedule's grid starts no earlier than this
    await collect(pollTimeseries(rec.client, dataId, { intervalMs: 50, signal: ac.signal }));
    // Skipping: one fetch per 100 ms (the next future tick), so at most 11 in 1050 ms (ticks 0…1000).
    // Catching up would fetch back to back, every ~70 ms: ~15. A wait-after-fetch would not be on the grid.
    expect(rec.starts.length).toBeGreaterThanOrEqual(2);
    expect(rec.starts.length).toBeLessThanOrEqual(11);
    // Each fetch belongs to the grid tick it started in (never before its tick; 1 ms for timer rounding).
    // A fetch takes ≥ 70 ms > one interval, so the next tick in the future is at least two ticks on,
    // however late a busy machine runs each one; a catch-up fetch right after would land one tick on.
    const ticks = rec.starts.map((t) => Math.floor((t - began + 1) / 50));
    for (const step of gaps(ticks)) expect(step, `ticks ${ticks.join(", ")}`).toBeGreaterThanOrEqual(2);
  });

  it("the ReadableStream form yields the same snapshots and stops polling on cancel", async () => {
    const dataId = await newStream([7, 8]);
    const rec = recordingClient();
    const fromStream: PollSnapshot[] = [];
    const whole = pollTimeseriesStream(rec.client, dataId, { intervalMs: 50, maxPolls: 3 }).getReader();
    for (let r = await whole.read(); !r.done; r = await whole.read()) fromStream.push(r.value);
    expect(fromStream.map((s) => s.poll)).toEqual([1, 2, 3]);
    expect(fromStream.map(temperature)).toEqual([[7, 8], [7, 8], [7, 8]]);
    expect(rec.starts).toHaveLength(3);

    // Cancel while reading: no fetch after it.
    const cancelled = recordingClient();
    const reader = pollTimeseries(cancelled.client, dataId, { intervalMs: 50 }).stream().getReader();
    const first = await reader.read();
    const second = await reader.read();
    expect([first.value?.poll, second.value?.poll]).toEqual([1, 2]);
    const pending = reader.read(); // now waiting for the third tick
    await reader.cancel();
    expect(await pending).toEqual({ done: true, value: undefined });
    const count = cancelled.starts.length;
    expect(count).toBeLessThanOrEqual(3);
    await sleep(250);
    expect(cancelled.starts.length).toBe(count);

    // Cancel during a slow fetch aborts it.
    const slow = recordingClient({ delayMs: 20_000 });
    const slowReader = pollTimeseriesStream(slow.client, dataId, { intervalMs: 50 }).getReader();
    const slowRead = slowReader.read();
    await waitFor(() => slow.starts.length === 1);
    await slowReader.cancel();
    expect(await slowRead).toEqual({ done: true, value: undefined });
    await waitFor(() => slow.aborted === 1);
  });

  it("refuses bad options before fetching anything", () => {
    const rec = recordingClient();
    expect(() => pollTimeseries(rec.client, "", {})).toThrow(InvalidInputError);
    expect(() => pollTimeseries(rec.client, "x", { intervalMs: 0 })).toThrow(/intervalMs/);
    expect(() => pollTimeseries(rec.client, "x", { lastN: -1 })).toThrow(/lastN/);
    expect(() => pollTimeseries(rec.client, "x", { maxPolls: 1.5 })).toThrow(/maxPolls/);
    expect(() => pollTimeseries(rec.client, "x", { jitterMs: -1 })).toThrow(/jitterMs/);
    expect(rec.starts).toHaveLength(0);
  });
});

/** The schedule itself, exactly, on a virtual clock: fetches take virtual time, sleeps advance it. */
describe("pollTimeseries schedule on an injected clock", () => {
  function virtual(fetchMs: number | ((n: number) => number)) {
    let clock = 0;
    const fetchStarts: number[] = [];
    const reader: TimeseriesReader = {
      async getTimeseries(): Promise<Timeseries> {
        fetchStarts.push(clock);
        clock += typeof fetchMs === "number" ? fetchMs : fetchMs(fetchStarts.length);
        return { properties: {} };
      },
    };
    return {
      reader,
      fetchStarts,
      now: () => clock,
      sleep: async (ms: number) => {
        clock += ms;
      },
      advance: (ms: number) => {
        clock += ms;
      },
    };
  }

  it("fixed rate: ticks follow ticks, not fetch ends", async () => {
    const v = virtual(30);
    await collect(pollTimeseries(v.reader, "d", { intervalMs: 100, maxPolls: 4, now: v.now, sleep: v.sleep }));
    expect(v.fetchStarts).toEqual([0, 100, 200, 300]);
  });

  it("fireImmediately: false starts one interval in", async () => {
    const v = virtual(0);
    await collect(pollTimeseries(v.reader, "d", { intervalMs: 100, maxPolls: 2, fireImmediately: false, now: v.now, sleep: v.sleep }));
    expect(v.fetchStarts).toEqual([100, 200]);
  });

  it("missed ticks are skipped: the next fetch is at the next future tick", async () => {
    const v = virtual((n) => (n === 2 ? 250 : 10)); // the second fetch overruns two ticks
    await collect(pollTimeseries(v.reader, "d", { intervalMs: 100, maxPolls: 4, now: v.now, sleep: v.sleep }));
    expect(v.fetchStarts).toEqual([0, 100, 400, 500]);
  });

  it("a fetch ending exactly on a tick fetches on that tick", async () => {
    const v = virtual((n) => (n === 1 ? 200 : 0));
    await collect(pollTimeseries(v.reader, "d", { intervalMs: 100, maxPolls: 3, now: v.now, sleep: v.sleep }));
    expect(v.fetchStarts).toEqual([0, 200, 300]);
  });

  it("a slow consumer makes ticks skip too, never queue", async () => {
    const v = virtual(0);
    const poll = pollTimeseries(v.reader, "d", { intervalMs: 100, maxPolls: 3, now: v.now, sleep: v.sleep });
    for await (const s of poll) if (s.poll === 1) v.advance(350);
    expect(v.fetchStarts).toEqual([0, 400, 500]);
  });

  it("jitter lengthens each period by random × min(jitterMs, intervalMs)", async () => {
    const a = virtual(0);
    await collect(pollTimeseries(a.reader, "d", { intervalMs: 100, jitterMs: 40, maxPolls: 3, random: () => 0.5, now: a.now, sleep: a.sleep }));
    expect(a.fetchStarts).toEqual([0, 120, 240]);
    const b = virtual(0);
    await collect(pollTimeseries(b.reader, "d", { intervalMs: 100, jitterMs: 500, maxPolls: 3, random: () => 0.5, now: b.now, sleep: b.sleep }));
    expect(b.fetchStarts).toEqual([0, 150, 300]);
  });

  it("a server that ignores last_n is trimmed client-side to the last N points of each property", async () => {
    const reader: TimeseriesReader = {
      getTimeseries: async () => ({
        properties: {
          a: { unixTimestampMs: [1, 2, 3, 4, 5], relativeTimeSeconds: [0, 1, 2, 3, 4], values: [10, 20, 30, 40, 50], units: "C" },
          b: { unixTimestampMs: [1], relativeTimeSeconds: [0], values: [7], units: null },
        },
      }),
    };
    const [s] = await collect(pollTimeseries(reader, "d", { maxPolls: 1, lastN: 2 }));
    expect(s?.timeseries.properties).toEqual({
      a: { unixTimestampMs: [4, 5], relativeTimeSeconds: [3, 4], values: [40, 50], units: "C" },
      b: { unixTimestampMs: [1], relativeTimeSeconds: [0], values: [7], units: null },
    });
    const [none] = await collect(pollTimeseries(reader, "d", { maxPolls: 1, lastN: 0 }));
    expect(none?.timeseries.properties.a?.values).toEqual([]);
  });

  it("a null answer reads as an empty timeseries", async () => {
    const reader: TimeseriesReader = { getTimeseries: async () => null };
    const [s] = await collect(pollTimeseries(reader, "d", { maxPolls: 1 }));
    expect(s?.timeseries).toEqual({ properties: {} });
  });
});
