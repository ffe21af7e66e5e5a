/**
 * TimeseriesStreamer: the seed's API (the Python SDK's TimeseriesStreamer) in TypeScript idiom, over
 * the outbox, the uploader and the streams. Every accepted reading goes to the outbox first; the
 * uploader sends it, retries what is transient, pauses on auth errors, quarantines what the server
 * refuses, and verifies then finalizes streams once their slices are acked. A stream can start while
 * the platform is unreachable: its initialize waits in the outbox with its readings.
 *
 * This file holds the API and wires the parts in streamer/: accepting and state writes (accept.ts),
 * finalize (finalize.ts), readings checked into slices (readings.ts), writable() (writable.ts), stats
 * (stats.ts), options checked and the log (options.ts), initialize (initializer.ts), waiters, progress and
 * event reporting.
 */
import { AtomscaleClient, DEFAULT_ENDPOINT, type StreamPrefix } from "./api/client.js";
import { checkChannel, checkChunkIndex, checkDataId, checkUnits, InvalidInputError } from "./input.js";
import { MemoryOutbox } from "./outbox/memory.js";
import type { Outbox, SliceMeta, StreamState } from "./outbox/outbox.js";
import { StreamInitializer } from "./streamer/initializer.js";
import { StreamWrites } from "./streamer/accept.js";
import { StreamFinalizer } from "./streamer/finalize.js";
import { iterate, pushMultiSlices, pushSlice } from "./streamer/readings.js";
import { openWritable } from "./streamer/writable.js";
import { streamStats } from "./streamer/stats.js";
import { checkOptions, leveledLog, type LogLevel } from "./streamer/options.js";
import { Progress } from "./streamer/progress.js";
import { Waiters } from "./streamer/waiters.js";
import { outboxReports, uploaderReports } from "./streamer/reporting.js";
import type { Clients } from "./streamer/platform-initialize.js";
import type {
  FinalizeOptions,
  FinalizeResult,
  ForeignStream,
  InitializeOptions,
  PushMultiParams,
  PushParams,
  RunParams,
  StreamStats,
  TimeseriesStreamerEventMap,
  TimeseriesStreamerOptions,
} from "./streamer/types.js";
import type { UploadStream, UploadStreamOptions } from "./streams/upload-stream.js";
import { sameEndpoint } from "./upload/endpoint.js";
import { foreignStreams } from "./streamer/foreign.js";
import { retryOptions, type RetryOptions } from "./upload/retry.js";
import { platformId, Uploader } from "./upload/uploader.js";

/** EventTarget's own parameter types, named without the DOM library (the declarations compile under Node-only types too). */
type Listener = Parameters<EventTarget["addEventListener"]>[1];
type ListenerOptions = Parameters<EventTarget["addEventListener"]>[2];

export { FinalizeRefusedError, SampleLinkError, StreamClosedError, UnsentDataError } from "./streamer/errors.js";
export type * from "./streamer/types.js";

/**
 * Stream instrument readings to Atomscale.
 *
 * @example
 * const streamer = new TimeseriesStreamer({ apiKey, pointsPerChunk: 100 });
 * const dataId = await streamer.initialize({ streamName: "MBE growth - temperature log" });
 * await readings.pipeTo(streamer.writable(dataId));   // or push / pushMulti / run
 */
export class TimeseriesStreamer extends EventTarget {
  /** The client of this streamer's endpoint (its default prefix; each stream uses the prefix it was created on). */
  readonly client: AtomscaleClient;
  readonly outbox: Outbox;
  readonly pointsPerChunk: number;
  /** Resolves once the outbox is open and recovery of what it held has started. */
  readonly ready: Promise<void>;
  readonly #uploader: Uploader;
  readonly #initializer: StreamInitializer;
  readonly #clients = new Map<StreamPrefix, AtomscaleClient>();
  readonly #clientOptions: ConstructorParameters<typeof AtomscaleClient>[0];
  readonly #forcedPrefix: StreamPrefix | undefined;
  readonly #retry: Required<RetryOptions>;
  readonly #verify: boolean;
  readonly #adopt: boolean;
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
    this.#forcedPrefix = options.streamPrefix;
    this.#clientOptions = {
      apiKey: options.apiKey,
      endpoint: options.endpoint ?? DEFAULT_ENDPOINT,
      timeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    this.client = this.#clientOf(options.streamPrefix ?? "/tool-state");
    this.#retry = retryOptions(options.retry);
    this.#verify = options.verify ?? true;
    this.#adopt = options.adoptPending ?? false;
    this.outbox = options.outbox ?? new MemoryOutbox();
    this.#writes = new StreamWrites({
      outbox: this.outbox,
      client: this.client,
      verify: this.#verify,
      progress: this.#progress,
      closed: () => this.#closed,
      log: (level, message) => this.#log(level, message),
      emit: (type, detail) => this.#emit(type, detail),
    });
    this.#log = leveledLog(options.logger, verbosity);

    this.#uploader = new Uploader({
      clientFor: (state) => this.#clientOf(state?.streamPrefix ?? this.client.streamPrefix),
      outbox: this.outbox,
      concurrency,
      retry: this.#retry,
      inDoubtMs,
      verify: this.#verify,
      ours: (state) => this.#ours(state),
      initialize: (state) => this.#initializer.sendQueued(state.dataId),
      events: uploaderReports({
        log: (level, message) => this.#log(level, message),
        emit: (type, detail) => this.#emit(type, detail),
        settled: () => this.#settled(),
        acked: (dataId, slices) => this.#acked(dataId, slices),
      }),
    });
    this.#initializer = new StreamInitializer({
      outbox: this.outbox,
      pointsPerChunk: ppc,
      retry: this.#retry,
      timeoutMs: initializeTimeoutMs,
      prefixes: () => this.#prefixes(),
      clientOf: (prefix) => this.#clientOf(prefix),
      newState: (dataId, pointsPerChunk) => this.#writes.newState(dataId, pointsPerChunk),
      writeState: (dataId, changes) => this.#writes.writeState(dataId, changes),
      adopt: (dataId, travelling) => this.#uploader.adoptInitialize(dataId, travelling),
      kick: () => this.#uploader.kick(),
      log: (level, message) => this.#log(level, message),
      emit: (type, detail) => this.#emit(type, detail),
    });
    this.#finalizer = new StreamFinalizer({
      outbox: this.outbox,
      uploader: this.#uploader,
      initializer: this.#initializer,
      clientOf: (prefix) => this.#clientOf(prefix),
      newState: (dataId, pointsPerChunk) => this.#writes.newState(dataId, pointsPerChunk),
      writeState: (dataId, changes) => this.#writes.writeState(dataId, changes),
      writable: (dataId) => this.#writables.get(dataId),
      until: (ready, signal, timeoutMs) => this.#until(ready, signal, timeoutMs),
      log: (level, message) => this.#log(level, message),
      emit: (type, detail) => this.#emit(type, detail),
    });
    const report = outboxReports({
      log: (level, message) => this.#log(level, message),
      emit: (type, detail) => this.#emit(type, detail),
      settled: () => this.#settled(),
      // A dropped slice is reported; the read-back before finalize expects none of its points.
      dropped: (d) => this.#writes.dropped(d.dataId, d.channel, d.chunkIndex),
    });
    const unsubscribe = this.outbox.on(report);
    this.ready = this.outbox.open().then(
      async () => {
        // What a previous run accepted and left pending counts as accepted here too.
        this.#progress.pending(this.outbox.slices());
        await this.#writes.recoverOpenChunks();
        const pending = this.outbox.slices().filter((s) => !s.quarantined).length;
        const closing = this.outbox.streams().filter((s) => s.phase === "closing").length;
        const queued = this.outbox.streams().filter((s) => s.pendingInitialize).length;
        if (pending > 0 || closing > 0 || queued > 0) {
          this.#log("info", `recovering ${pending} pending slice(s), ${queued} stream(s) to initialize and ${closing} to finalize`);
        }
        this.#reportForeign();
        this.#uploader.kick();
      },
      (error: unknown) => {
        unsubscribe();
        throw error;
      },
    );
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
    return this.#clientOf(this.outbox.getStream(dataId)?.streamPrefix ?? this.client.streamPrefix);
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
    checkChannel(params?.channelName);
    checkUnits(params.units);
    const start = params.startChunkIndex ?? 0;
    checkChunkIndex(start, "startChunkIndex");
    let i = 0;
    for await (const item of iterate(params.dataIter)) {
      if (!Array.isArray(item) || item.length !== 2) {
        throw new InvalidInputError(`dataIter item ${i}`, item, "must be a [timestamps, values] pair");
      }
      // An empty item holds no points: its chunk index is simply left empty (the platform rejects empty slices).
      if (item[0]?.length !== 0 || item[1]?.length !== 0) {
        await this.push(dataId, { chunkIndex: start + i, channelName: params.channelName, timestamps: item[0], values: item[1], ...(params.units !== undefined ? { units: params.units } : {}) });
      }
      i++;
    }
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
        accept: (id, slices, next, open) => this.#writes.accept(id, slices, next, open),
        finalize: (id, finalizeOptions) => this.finalize(id, finalizeOptions),
        drained: (id) => this.#drained(id),
        until: (ready, signal, timeoutMs) => this.#until(ready, signal, timeoutMs),
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
    await this.#until(() => this.#drained(dataId), options.signal);
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
    for (const client of this.#clients.values()) client.setApiKey(apiKey);
    this.#clientOptions.apiKey = apiKey;
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
    this.#settled();
    await this.ready.catch(() => {});
    await this.outbox.close();
  }

  override addEventListener<K extends keyof TimeseriesStreamerEventMap>(
    type: K,
    listener: ((event: CustomEvent<TimeseriesStreamerEventMap[K]>) => void) | { handleEvent(event: CustomEvent<TimeseriesStreamerEventMap[K]>): void } | null,
    options?: ListenerOptions,
  ): void;
  override addEventListener(type: string, listener: Listener, options?: ListenerOptions): void;
  override addEventListener(type: string, listener: Listener, options?: ListenerOptions): void {
    super.addEventListener(type, listener, options);
  }

  // ---- internals ----

  #clientOf(prefix: StreamPrefix): AtomscaleClient {
    let client = this.#clients.get(prefix);
    if (!client) this.#clients.set(prefix, (client = new AtomscaleClient({ ...this.#clientOptions, streamPrefix: prefix })));
    return client;
  }

  #prefixes(): Clients {
    return { of: (prefix) => this.#clientOf(prefix), forced: this.#forcedPrefix };
  }

  /** A stream of this streamer's endpoint (compared as URLs), or any stream when adopting. */
  #ours(state: StreamState | undefined): boolean {
    return this.#adopt || state === undefined || sameEndpoint(state.endpoint, this.client.endpoint);
  }

  #foreign(): { streams: ForeignStream[]; slices: number } {
    return foreignStreams(this.outbox, (state) => this.#ours(state), this.client.endpoint);
  }

  #reportForeign(): void {
    const foreign = this.#foreign();
    if (foreign.streams.length === 0) return;
    this.#log(
      "error",
      `the outbox holds ${foreign.slices} pending slice(s) of ${foreign.streams.length} stream(s) for another endpoint, left alone: ` +
        `${foreign.streams.map((f) => `${f.dataId} (${f.reason})`).join("; ")}. Pass adoptPending: true to send them to ${this.client.endpoint}.`,
    );
    this.#emit("foreign", foreign);
  }

  #acked(dataId: string, slices: SliceMeta[]): void {
    this.#progress.acked(dataId, slices);
    this.#log("trace", () => `acked ${slices.map((s) => `${s.channel}#${s.chunkIndex}`).join(" ")} of ${dataId}`);
    const { ackedPoints, acceptedPoints } = this.#progress.of(dataId);
    this.#emit("progress", { dataId, ackedPoints, acceptedPoints, pendingSlices: this.outbox.pendingCount(dataId) });
  }

  #drained(dataId: string): boolean {
    return this.#uploader.inFlight(dataId) === 0 && this.outbox.pendingCount(dataId) === 0;
  }

  #settled(): void {
    this.#waiters.settled();
  }

  /** Wait until `ready()` holds; false on timeout. Rejects on abort or when the streamer closes. */
  #until(ready: () => boolean, signal?: AbortSignal, timeoutMs?: number): Promise<boolean> {
    return this.#waiters.until(ready, signal, timeoutMs);
  }

  #emit<K extends keyof TimeseriesStreamerEventMap>(type: K, detail: TimeseriesStreamerEventMap[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
