/**
 * TimeseriesStreamer: the seed's API (the Python SDK's TimeseriesStreamer) in TypeScript idiom, over
 * the outbox, the uploader and the streams. Every accepted reading goes to the outbox first; the
 * uploader sends it, retries what is transient, pauses on auth errors, quarantines what the server
 * refuses, and verifies then finalizes streams once their slices are acked. A stream can start while
 * the platform is unreachable: its initialize waits in the outbox with its readings.
 *
 * This file holds the API; streamer/parts.ts makes and wires the parts in streamer/: initialize (initializer.ts), accepting and
 * state writes (accept.ts), readings checked into slices (readings.ts), writable() (writable.ts),
 * finalize (finalize.ts), recovery at start (recovery.ts), stats (stats.ts), progress counters, waiters,
 * clients per path prefix (clients.ts), options and the log (options.ts); its events are typed in
 * events.ts (on ../event-target.ts) and told by reporting.ts.
 */
import { DEFAULT_ENDPOINT, type AtomscaleClient } from "./api/client.js";
import { checkDataId } from "./input.js";
import { MemoryOutbox } from "./outbox/memory.js";
import type { Outbox, StreamState } from "./outbox/outbox.js";
import { pushMultiSlices, pushSlice, runChunks } from "./streamer/readings.js";
import { openWritable } from "./streamer/writable.js";
import { streamStats } from "./streamer/stats.js";
import { checkOptions, leveledLog, type LogLevel } from "./streamer/options.js";
import { Progress } from "./streamer/progress.js";
import { Waiters } from "./streamer/waiters.js";
import { StreamClients } from "./streamer/clients.js";
import { TypedEventTarget } from "./event-target.js";
import type { Emit, TimeseriesStreamerEventMap } from "./streamer/events.js";
import type {
  FinalizeOptions,
  FinalizeResult,
  ForeignStream,
  InitializeOptions,
  PushMultiParams,
  PushParams,
  RunParams,
  StreamStats,
  TimeseriesStreamerOptions,
} from "./streamer/types.js";
import type { UploadStream, UploadStreamOptions } from "./streams/upload-stream.js";
import { foreignStreams, ownedBy } from "./streamer/foreign.js";
import { retryOptions } from "./upload/retry.js";
import { platformId, type Uploader } from "./upload/uploader.js";
import type { StreamWrites } from "./streamer/accept.js";
import type { StreamFinalizer } from "./streamer/finalize.js";
import type { StreamInitializer } from "./streamer/initializer.js";
import { wireParts } from "./streamer/parts.js";

export { FinalizeRefusedError, SampleLinkError, StreamClosedError, UnsentDataError } from "./streamer/errors.js";
export type * from "./streamer/types.js";
export type * from "./streamer/events.js";

/**
 * Stream instrument readings to Atomscale.
 *
 * @example
 * const streamer = new TimeseriesStreamer({ apiKey, pointsPerChunk: 100 });
 * const dataId = await streamer.initialize({ streamName: "MBE growth - temperature log" });
 * await readings.pipeTo(streamer.writable(dataId));   // or push / pushMulti / run
 */
export class TimeseriesStreamer extends TypedEventTarget<TimeseriesStreamerEventMap> {
  /** The client of this streamer's endpoint (its default prefix; each stream uses the prefix it was created on). */
  readonly client: AtomscaleClient;
  readonly outbox: Outbox;
  readonly pointsPerChunk: number;
  /** Resolves once the outbox is open and recovery of what it held has started. */
  readonly ready: Promise<void>;
  readonly #uploader: Uploader;
  readonly #initializer: StreamInitializer;
  /** One client per path prefix, one API key (streamer/clients.ts). */
  readonly #clients: StreamClients;
  readonly #verify: boolean;
  /** Whether a stream is this streamer's (its endpoint's, or any when adopting); the others are foreign. */
  readonly #ours: (state: StreamState | undefined) => boolean;
  readonly #progress = new Progress();
  /** Accepting slices and writing stream states (streamer/accept.ts). */
  readonly #writes: StreamWrites;
  readonly #finalizer: StreamFinalizer;
  readonly #writables = new Map<string, UploadStream>();
  readonly #log: (level: LogLevel, message: string | (() => string)) => void;
  readonly #waiters = new Waiters(() => this.#closed);
  #closed = false;

  constructor(options: TimeseriesStreamerOptions) {
    super();
    const { pointsPerChunk: ppc, concurrency, verbosity, timeoutMs, initializeTimeoutMs, inDoubtMs } = checkOptions(options);
    this.pointsPerChunk = ppc;
    this.#clients = new StreamClients(
      { apiKey: options.apiKey, endpoint: options.endpoint ?? DEFAULT_ENDPOINT, timeoutMs, ...(options.fetch ? { fetch: options.fetch } : {}) },
      options.streamPrefix,
    );
    this.client = this.#clients.of(options.streamPrefix ?? "/tool-state");
    const retry = retryOptions(options.retry);
    this.#verify = options.verify ?? true;
    this.#ours = ownedBy(this.client.endpoint, options.adoptPending ?? false);
    this.outbox = options.outbox ?? new MemoryOutbox();
    this.#log = leveledLog(options.logger, verbosity);
    /** How every part logs and dispatches events. */
    const say: { log: (level: LogLevel, message: string | (() => string)) => void; emit: Emit } = { log: this.#log, emit: (type, detail) => this.#emit(type, detail) };
    const parts = wireParts({
      outbox: this.outbox,
      client: this.client,
      clients: this.#clients,
      pointsPerChunk: ppc,
      concurrency,
      retry,
      inDoubtMs,
      initializeTimeoutMs,
      verify: this.#verify,
      ours: this.#ours,
      progress: this.#progress,
      waiters: this.#waiters,
      writable: (dataId) => this.#writables.get(dataId),
      closed: () => this.#closed,
      foreign: () => this.#foreign(),
      ...say,
    });
    this.#writes = parts.writes;
    this.#uploader = parts.uploader;
    this.#initializer = parts.initializer;
    this.#finalizer = parts.finalizer;
    this.ready = parts.ready;
    this.ready.catch(() => {}); // surfaced by the calls that await it
  }

  // ---- the seed's API ----

  /**
   * Create a stream on the platform; link a physical sample, track it in a project and attach tags when
   * asked. When the platform cannot be reached within `initializeTimeoutMs` (network failures, timeouts,
   * 5xx), the initialize is recorded in the outbox and sent later, before the stream's slices; the id
   * returned is then a local one (`local-<uuid>`) that every call accepts, and the platform's id follows
   * (`platformDataId(id)`, event "initialized"). A refused key (401/403) or request (4xx) rejects.
   */
  async initialize(options: InitializeOptions = {}): Promise<string> {
    await this.ready;
    return this.#initializer.initialize(options);
  }

  /**
   * The platform's data id of a stream: the same id for a stream created online; for one started
   * offline, undefined until its initialize has gone through (then also announced by the "initialized" event).
   */
  platformDataId(dataId: string): string | undefined {
    const state = this.outbox.getStream(dataId);
    return state ? platformId(state, dataId) : undefined;
  }

  /**
   * The client a stream's requests go through: its endpoint and the path prefix it was created on (for
   * reading it back, e.g. `pollTimeseries(streamer.clientFor(id), streamer.platformDataId(id)!)`).
   */
  clientFor(dataId: string): AtomscaleClient {
    return this.#clients.of(this.outbox.getStream(dataId)?.streamPrefix ?? this.client.streamPrefix);
  }

  /** Accept one channel's slice at `chunkIndex`; resolves once it is in the outbox (sending follows). */
  async push(dataId: string, params: PushParams): Promise<void> {
    checkDataId(dataId);
    await this.ready;
    const slice = pushSlice(params, this.#writes.openState(dataId).pointsPerChunk);
    await this.outbox.waitForSpace();
    await this.#writes.accept(dataId, [slice]);
  }

  /**
   * Accept several channels' slices sharing `chunkIndex`, all or none; they travel in one request.
   * Channels without points are left out (the platform rejects an empty slice); all empty is an error.
   */
  async pushMulti(dataId: string, params: PushMultiParams): Promise<void> {
    checkDataId(dataId);
    await this.ready;
    const slices = pushMultiSlices(params, this.#writes.openState(dataId).pointsPerChunk);
    await this.outbox.waitForSpace();
    await this.#writes.accept(dataId, slices);
  }

  /**
   * Send pre-chunked data: item i of `dataIter` is `[timestamps, values]` for chunk `startChunkIndex + i`.
   * Resolves once the server has all of it (`flush: false`: once it is all in the outbox). Does not finalize.
   */
  async run(dataId: string, params: RunParams): Promise<void> {
    checkDataId(dataId);
    await runChunks(params, (p) => this.push(dataId, p));
    if (params.flush ?? true) await this.flush(dataId);
  }

  /**
   * A WritableStream of readings for this stream: chunked per channel, partial slices after
   * `maxLatencyMs`, durable in the outbox before `write()` resolves; `close()` finalizes.
   * Continues at the stream's next chunk index per channel. Over a non-durable outbox (MemoryOutbox),
   * `close()` resolves only once everything is on the server, or rejects with an UnsentDataError that
   * names what is not; over a durable one, a deferred finalize is fine (the next run completes it).
   */
  writable(dataId: string, options: UploadStreamOptions = {}): UploadStream {
    return openWritable(
      {
        outbox: this.outbox,
        ready: this.ready,
        pointsPerChunk: this.pointsPerChunk,
        writables: this.#writables,
        writes: this.#writes,
        waiters: this.#waiters,
        finalize: (id, finalizeOptions) => this.finalize(id, finalizeOptions),
        drained: (id) => this.#drained(id),
        emit: (type, detail) => this.#emit(type, detail),
      },
      dataId,
      options,
    );
  }

  /** Resolves when everything accepted so far for this stream is acked (quarantined slices excepted). */
  async flush(dataId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    checkDataId(dataId);
    await this.ready;
    await this.#waiters.until(() => this.#drained(dataId), options.signal);
  }

  /**
   * Finalize once this stream's slices are acked and (unless `verify: false`) a read-back agrees with
   * what was sent. If that does not happen within `timeoutMs`, the finalize is deferred: recorded as
   * `closing` in the outbox and completed automatically (here, or after a restart with a durable
   * outbox). `force: true` finalizes now and hands back the slices not yet sent.
   */
  async finalize(dataId: string, options: FinalizeOptions = {}): Promise<FinalizeResult> {
    checkDataId(dataId);
    await this.ready;
    return this.#finalizer.finalize(dataId, options);
  }

  stats(dataId: string): StreamStats {
    const sources = { outbox: this.outbox, uploader: this.#uploader, progress: this.#progress, verify: this.#verify, foreignSlices: () => this.#foreign().slices };
    return streamStats(dataId, sources);
  }

  /** Replace the API key (after a 401/403): uploads resume with it. */
  setApiKey(apiKey: string): void {
    this.#clients.setApiKey(apiKey);
    this.#log("info", "API key replaced; resuming uploads");
    this.#uploader.resume();
  }

  /** Try now instead of waiting out a backoff (e.g. on the browser's `online` event); a verify that gave up runs again. */
  retryNow(): void {
    this.#uploader.retryNow();
  }

  /** Stop sending and release timers. Pending slices stay in the outbox (durable ones for the next run). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#uploader.close();
    this.#waiters.settled();
    await this.ready.catch(() => {});
    await this.outbox.close();
  }

  // ---- internals ----

  #foreign(): { streams: ForeignStream[]; slices: number } {
    return foreignStreams(this.outbox, this.#ours, this.client.endpoint);
  }

  #drained(dataId: string): boolean {
    return this.#uploader.inFlight(dataId) === 0 && this.outbox.pendingCount(dataId) === 0;
  }

  #emit<K extends keyof TimeseriesStreamerEventMap>(type: K, detail: TimeseriesStreamerEventMap[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
