/**
 * TimeseriesStreamer: the seed's API (the Python SDK's TimeseriesStreamer) in TypeScript idiom, over
 * the outbox, the uploader and the streams. Every accepted reading goes to the outbox first; the
 * uploader sends it, retries what is transient, pauses on auth errors, quarantines what the server
 * refuses, and verifies then finalizes streams once their slices are acked. A stream can start while
 * the platform is unreachable: its initialize waits in the outbox with its readings.
 */
import { AtomscaleClient, DEFAULT_ENDPOINT, type StreamPrefix } from "./api/client.js";
import { checkChannel, checkChunkIndex, checkDataId, checkPoints, checkUnits, InvalidInputError } from "./input.js";
import { MemoryOutbox } from "./outbox/memory.js";
import type { Outbox, NewSlice, SliceMeta, StoredSlice, StreamState } from "./outbox/outbox.js";
import { FinalizeRefusedError, StreamClosedError, UnsentDataError } from "./streamer/errors.js";
import { StreamInitializer } from "./streamer/initializer.js";
import { toRecover, type StateWithOpenChunks } from "./streamer/open-chunks.js";
import { Progress } from "./streamer/progress.js";
import { Waiters } from "./streamer/waiters.js";
import { outboxReports, uploaderReports } from "./streamer/reporting.js";
import type { Clients } from "./streamer/platform-initialize.js";
import type {
  ChannelPointsInput,
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
  UnverifiedSlice,
} from "./streamer/types.js";
import { UploadStream, type UploadStreamOptions } from "./streams/upload-stream.js";
import { channelRecord, ownEntry, type Slice } from "./types.js";
import { sameEndpoint } from "./upload/endpoint.js";
import { foreignStreams } from "./streamer/foreign.js";
import { Ledger } from "./upload/ledger.js";
import { retryOptions, type RetryOptions } from "./upload/retry.js";
import { platformId, Uploader } from "./upload/uploader.js";

/** EventTarget's own parameter types, named without the DOM library (the declarations compile under Node-only types too). */
type Listener = Parameters<EventTarget["addEventListener"]>[1];
type ListenerOptions = Parameters<EventTarget["addEventListener"]>[2];

export { FinalizeRefusedError, SampleLinkError, StreamClosedError, UnsentDataError } from "./streamer/errors.js";
export type * from "./streamer/types.js";

const LEVELS = { error: 1, info: 2, debug: 3, trace: 4 } as const;

/** The fields of a stream's state that say who it is on the platform. */
const IDENTITY = ["platformDataId", "streamPrefix", "pendingInitialize", "initializeError"] as const;

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
  readonly #ledgers = new Map<string, Ledger>();
  /** The platform identity of streams whose state this streamer changed (see #writeState). */
  readonly #identity = new Map<string, Partial<StreamState>>();
  readonly #writables = new Map<string, UploadStream>();
  /** The open chunks of each stream's writable as last put (see streamer/open-chunks.ts); undefined: none. */
  readonly #openChunks = new Map<string, Slice[] | undefined>();
  readonly #log: (level: keyof typeof LEVELS, message: string) => void;
  readonly #waiters = new Waiters(() => this.#closed);
  #closed = false;

  constructor(options: TimeseriesStreamerOptions) {
    super();
    const ppc = options.pointsPerChunk ?? 100;
    if (!Number.isSafeInteger(ppc) || ppc < 1) throw new InvalidInputError("pointsPerChunk", ppc, "must be a whole number ≥ 1");
    const concurrency = options.concurrency ?? 4;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new InvalidInputError("concurrency", concurrency, "must be a whole number ≥ 1");
    const verbosity = options.verbosity ?? 0;
    if (![0, 1, 2, 3, 4].includes(verbosity)) throw new InvalidInputError("verbosity", verbosity, "must be 0, 1, 2, 3 or 4");
    const timeoutMs = options.timeoutMs ?? 30_000;
    const initializeTimeoutMs = options.initializeTimeoutMs ?? 5000;
    if (!(initializeTimeoutMs >= 0)) throw new InvalidInputError("initializeTimeoutMs", initializeTimeoutMs, "must be a number of milliseconds ≥ 0");
    const inDoubtMs = options.inDoubtMs ?? Math.min(timeoutMs, 10_000);
    if (!(inDoubtMs >= 0)) throw new InvalidInputError("inDoubtMs", inDoubtMs, "must be a number of milliseconds ≥ 0");
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
    const sink =
      options.logger ??
      ((level: string, message: string) => (level === "error" ? console.error : console.log)(`atomscale-stream ${level}: ${message}`));
    this.#log = (level, message) => {
      if (LEVELS[level] <= verbosity) sink(level, message);
    };

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
      newState: (dataId, pointsPerChunk) => this.#newState(dataId, pointsPerChunk),
      writeState: (dataId, changes) => this.#writeState(dataId, changes),
      adopt: (dataId, travelling) => this.#uploader.adoptInitialize(dataId, travelling),
      kick: () => this.#uploader.kick(),
      log: (level, message) => this.#log(level, message),
      emit: (type, detail) => this.#emit(type, detail),
    });
    const report = outboxReports({
      log: (level, message) => this.#log(level, message),
      emit: (type, detail) => this.#emit(type, detail),
      settled: () => this.#settled(),
      // A dropped slice is reported; the read-back before finalize expects none of its points.
      dropped: (d) => this.#ledgers.get(d.dataId)?.set(d.channel, d.chunkIndex, 0),
    });
    const unsubscribe = this.outbox.on(report);
    this.ready = this.outbox.open().then(
      async () => {
        // What a previous run accepted and left pending counts as accepted here too.
        this.#progress.pending(this.outbox.slices());
        await this.#recoverOpenChunks();
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
    const state = this.#openState(dataId);
    checkChunkIndex(params?.chunkIndex);
    checkChannel(params.channelName);
    checkPoints(params.timestamps, params.values, "", state.pointsPerChunk || undefined);
    checkUnits(params.units);
    await this.outbox.waitForSpace();
    await this.#accept(dataId, [toSlice(params.channelName, params.chunkIndex, params.timestamps, params.values, params.units)]);
  }

  /**
   * Accept several channels' slices sharing `chunkIndex`, all or none; they travel in one request.
   * Channels without points are left out (the platform rejects an empty slice); all empty is an error.
   */
  async pushMulti(dataId: string, params: PushMultiParams): Promise<void> {
    checkDataId(dataId);
    await this.ready;
    const state = this.#openState(dataId);
    checkChunkIndex(params?.chunkIndex);
    const channels = params.channels;
    if (typeof channels !== "object" || channels === null) {
      throw new InvalidInputError("channels", channels, "must map one or more channel names to { timestamps, values, units? }");
    }
    // Own entries only (or a Map's): `__proto__`, `constructor` … are channel names like any other.
    const entries: Array<[string, ChannelPointsInput]> = channels instanceof Map ? [...channels] : Object.entries(channels);
    const slices: Slice[] = [];
    for (const [name, points] of entries) {
      checkChannel(name, `channels[${JSON.stringify(name)}]`);
      const field = `channels.${name}`;
      if (typeof points !== "object" || points === null) throw new InvalidInputError(field, points, "must be { timestamps, values, units? }");
      if (points.timestamps?.length === 0 && points.values?.length === 0) continue;
      checkPoints(points.timestamps, points.values, field, state.pointsPerChunk || undefined);
      checkUnits(points.units, `${field}.units`);
      slices.push(toSlice(name, params.chunkIndex, points.timestamps, points.values, points.units));
    }
    if (slices.length === 0) {
      throw new InvalidInputError("channels", channels instanceof Map ? Object.fromEntries(channels) : channels, "must hold at least one channel with points (empty channels are left out)");
    }
    await this.outbox.waitForSpace();
    await this.#accept(dataId, slices);
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
    checkDataId(dataId);
    if (this.#writables.has(dataId)) {
      throw new InvalidInputError("dataId", dataId, "already has an open writable(); close or abort it before opening another");
    }
    const state = this.outbox.getStream(dataId);
    if (state && state.phase !== "open") throw new StreamClosedError(dataId, state.phase);
    const streamer = this;
    const writable = new UploadStream(
      {
        dataId,
        pointsPerChunk: state?.pointsPerChunk || this.pointsPerChunk,
        startChunkIndex: state?.nextChunkIndex ?? {},
        waitForSpace: async () => {
          await streamer.ready;
          await streamer.outbox.waitForSpace();
        },
        accept: (slices, next, open) => streamer.#accept(dataId, slices, next, open),
        report: (error) => streamer.#emit("error", { error, dataId, classification: "storage" }),
        finalize: async (timeoutMs) => {
          const result = await streamer.finalize(dataId, timeoutMs === undefined ? {} : { timeoutMs });
          if (streamer.outbox.durable) return;
          const unsent = streamer.#unsentOf(dataId, result, true);
          if (result.status !== "finalized" || unsent.length > 0) throw new UnsentDataError(dataId, unsent);
        },
        drain: async (timeoutMs) => {
          if (streamer.outbox.durable) return;
          await streamer.ready;
          const drained = await streamer.#until(() => streamer.#drained(dataId), undefined, timeoutMs ?? 30_000);
          const unsent = streamer.outbox.slices(dataId).filter((s) => !s.quarantined);
          if (!drained && unsent.length > 0) {
            throw new UnsentDataError(dataId, unsent.map((s) => ({ dataId, channel: s.channel, chunkIndex: s.chunkIndex, points: s.points, reason: "pending" as const })));
          }
        },
        detach: () => {
          if (streamer.#writables.get(dataId) === writable) streamer.#writables.delete(dataId);
        },
      },
      options,
    );
    this.#writables.set(dataId, writable);
    return writable;
  }

  /** Everything of a finalize result that is not on the server, by key. */
  #unsentOf(dataId: string, result: FinalizeResult, withQuarantined: boolean): UnsentDataError["unsent"] {
    const key = (s: SliceMeta, reason: "pending" | "quarantined" | "corrupt") => ({ dataId, channel: s.channel, chunkIndex: s.chunkIndex, points: s.points, reason });
    return [
      ...result.unsent.map((s) => key(s, "pending")),
      ...(withQuarantined ? result.quarantined.map((s) => key(s, "quarantined")) : []),
      ...result.corrupt.map((s) => key(s, "corrupt")),
      ...result.unverified.map((u) => ({ dataId, channel: u.channel, chunkIndex: u.chunkIndex, points: u.expectedPoints - u.serverPoints, reason: "unverified" as const })),
    ];
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
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!this.outbox.getStream(dataId)) await this.outbox.putStream(this.#newState(dataId, 0));
    // A writable still open on this stream: its open chunks go to the outbox first (nothing accepted is lost).
    await this.#writables.get(dataId)?.seal();
    let state = this.outbox.getStream(dataId)!;
    if (state.phase === "finalized") return this.#result(dataId, "finalized", []);

    if (options.force) {
      await this.#until(() => this.#uploader.inFlight(dataId) === 0 && !this.#uploader.isFinalizing(dataId));
      if (platformId(this.outbox.getStream(dataId), dataId) === undefined) await this.#initializer.sendQueued(dataId);
      state = this.outbox.getStream(dataId)!;
      const id = platformId(state, dataId);
      if (id === undefined) {
        throw new Error(`Stream ${dataId} has not been created on the platform yet (it was started offline): it cannot be finalized there. Try again once the platform is reachable.`);
      }
      const pending = this.outbox.slices(dataId).filter((s) => !s.quarantined);
      const unsent = (await Promise.all(pending.map((m) => this.outbox.read(m).catch(() => undefined)))).filter((s): s is StoredSlice => s !== undefined);
      await this.#clientOf(state.streamPrefix).finalizeStream(id);
      await this.outbox.remove(unsent);
      await this.#writeState(dataId, { phase: "finalized" });
      this.#emit("state", { dataId, phase: "finalized" });
      return { ...this.#result(dataId, "finalized", []), unsent };
    }

    if (state.phase === "open") {
      await this.#writeState(dataId, { phase: "closing" });
      this.#emit("state", { dataId, phase: "closing" });
    }
    this.#uploader.kick();
    const finished = await this.#until(
      () => this.outbox.getStream(dataId)?.phase === "finalized" || this.#uploader.verification(dataId)?.gaveUp !== undefined,
      undefined,
      timeoutMs,
    );
    const pending = this.outbox.slices(dataId).filter((s) => !s.quarantined);
    if (this.outbox.getStream(dataId)?.phase === "finalized") return this.#result(dataId, "finalized", []);
    if (finished) return this.#result(dataId, "unverified", pending);
    this.#log("info", `finalize of ${dataId} deferred: ${pending.length} slice(s) still pending`);
    return this.#result(dataId, "deferred", pending);
  }

  #result(dataId: string, status: FinalizeResult["status"], unsent: SliceMeta[]): FinalizeResult {
    const state = this.outbox.getStream(dataId);
    if (status === "finalized" && state?.finalizeError) {
      const refusal = state.finalizeError;
      throw new FinalizeRefusedError(dataId, refusal.status, refusal.detail, refusal.message, { cause: refusal });
    }
    const gaveUp = this.#uploader.verification(dataId)?.gaveUp ?? [];
    const unverified: UnverifiedSlice[] = gaveUp.map((d) => ({ dataId, channel: d.channel, chunkIndex: d.firstChunk, expectedPoints: d.expectedPoints, serverPoints: d.serverPoints }));
    return {
      status,
      unsent,
      quarantined: this.outbox.slices(dataId).filter((s) => s.quarantined),
      corrupt: this.outbox.corruptSlices(dataId),
      unverified,
    };
  }

  stats(dataId: string): StreamStats {
    const progress = this.#progress.of(dataId);
    // Counted by the outbox as slices come and go: no record per pending slice here (the page and the CLI ask often).
    const summary = this.outbox.summary(dataId);
    const state = this.outbox.getStream(dataId);
    const record = this.#uploader.verification(dataId);
    return {
      acceptedPoints: progress.acceptedPoints,
      ackedPoints: progress.ackedPoints,
      pendingSlices: summary.pendingSlices,
      pendingBytes: summary.pendingBytes,
      oldestPendingMs: summary.oldestPendingAt !== undefined ? Math.max(0, Date.now() - summary.oldestPendingAt) : 0,
      inFlight: this.#uploader.inFlight(dataId),
      inDoubt: this.#uploader.inDoubt(dataId),
      retries: this.#uploader.retries(dataId),
      quarantined: summary.quarantinedSlices,
      corruptSlices: summary.corruptSlices,
      state: state?.phase ?? "unknown",
      platformDataId: state ? platformId(state, dataId) : undefined,
      initialize: state?.initializeError ? "refused" : state?.pendingInitialize ? "queued" : "done",
      verify: !this.#verify ? "off" : record?.gaveUp ? "differs" : record?.agreed ? "agreed" : "pending",
      verifyRounds: record?.rounds ?? 0,
      resentSlices: record?.resent ?? 0,
      connection: this.#uploader.state,
      droppedSlices: this.outbox.droppedSlices,
      foreignSlices: this.#foreign().slices,
      outboxBytes: this.outbox.usedBytes,
      outboxCapacityBytes: this.outbox.capacityBytes,
      storage: this.outbox.storageInfo(),
    };
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

  #openState(dataId: string): StreamState {
    const state = this.outbox.getStream(dataId);
    if (state && state.phase !== "open") throw new StreamClosedError(dataId, state.phase);
    if (state) return state;
    // A stream initialized elsewhere (another process, the Python SDK): record it, points per chunk unknown.
    return this.#newState(dataId, 0);
  }

  /** The record of an open stream on this streamer's API (`pointsPerChunk` 0: not known here). */
  #newState(dataId: string, pointsPerChunk: number): StreamState {
    const now = Date.now();
    return {
      dataId,
      pointsPerChunk,
      endpoint: this.client.endpoint,
      streamPrefix: this.client.streamPrefix,
      nextChunkIndex: channelRecord<number>(),
      phase: "open",
      createdAt: now,
      updatedAt: now,
      platformDataId: dataId,
    };
  }

  #ledgerFor(dataId: string): Ledger {
    let ledger = this.#ledgers.get(dataId);
    if (!ledger) this.#ledgers.set(dataId, (ledger = Ledger.from(this.outbox.getStream(dataId)?.ledger)));
    return ledger;
  }

  /**
   * Write a stream's state with changes, from its current record, with its ledger. Changes to the stream's
   * identity on the platform are also kept in memory at once, so a write of the stream's slices already
   * on its way (which carries the state it saw) cannot undo them.
   */
  #writeState(dataId: string, changes: Partial<StreamState>): Promise<void> {
    const identity: Partial<StreamState> = { ...this.#identity.get(dataId) };
    for (const key of IDENTITY) if (key in changes) Object.assign(identity, { [key]: changes[key] });
    this.#identity.set(dataId, identity);
    const current = this.outbox.getStream(dataId) ?? this.#newState(dataId, 0);
    const next: StateWithOpenChunks = { ...current, ...identity, ...changes, updatedAt: Date.now() };
    // A put of the stream's open chunks may be on its way: the newest of them, never an older copy.
    if (this.#openChunks.has(dataId)) next.openChunks = this.#openChunks.get(dataId);
    if (this.#verify) next.ledger = this.#ledgerFor(dataId).toStored();
    return this.outbox.putStream(next);
  }

  /** Put slices in the outbox with the stream's state. Starts the put synchronously (ordering of versions). */
  #accept(dataId: string, slices: Slice[], nextChunkIndex?: Record<string, number>, open?: Slice[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("This TimeseriesStreamer is closed."));
    // Open chunks are kept only where they outlive the process; a MemoryOutbox would hold them in memory twice.
    if (open !== undefined && this.outbox.durable) this.#openChunks.set(dataId, open.length > 0 ? open : undefined);
    else if (slices.length === 0) return Promise.resolve();
    const state = this.outbox.getStream(dataId) ?? this.#openState(dataId);
    if (state.phase !== "open") return Promise.reject(new StreamClosedError(dataId, state.phase));
    const next = channelRecord<number>(Object.entries(state.nextChunkIndex));
    for (const s of slices) next[s.channel] = Math.max(ownEntry(next, s.channel) ?? 0, s.chunkIndex + 1);
    if (nextChunkIndex) for (const [ch, n] of Object.entries(nextChunkIndex)) next[ch] = Math.max(ownEntry(next, ch) ?? 0, n);
    const records: NewSlice[] = slices.map((s) => ({ dataId, ...s }));
    const written: StateWithOpenChunks = { ...state, ...this.#identity.get(dataId), nextChunkIndex: next, updatedAt: Date.now() };
    if (this.#openChunks.has(dataId)) written.openChunks = this.#openChunks.get(dataId);
    if (this.#verify) {
      const ledger = this.#ledgerFor(dataId);
      for (const s of slices) ledger.set(s.channel, s.chunkIndex, s.values.length);
      written.ledger = ledger.toStored();
    }
    return this.outbox.put(records, [written]).then(
      () => this.#accepted(dataId, slices),
      (error: unknown) => {
        // The outbox refused (full with overflow "error", or the browser's storage quota): say so loudly.
        // (The ledger keeps the refused keys: the caller was told, and a retry of the same call puts them again.)
        const code = (error as { code?: string })?.code;
        this.#log("error", `the outbox refused ${slices.length} slice(s) of ${dataId}: ${(error as Error)?.message}`);
        this.#emit("error", { error, dataId, classification: "storage", refused: slices.map(({ channel, chunkIndex }) => ({ channel, chunkIndex })) });
        if (code === "outbox_quota" || code === "outbox_full") this.#emit("storage", { dataId, storage: code === "outbox_quota" ? "quota-exceeded" : "full" });
        throw error;
      },
    );
  }

  /**
   * Put the open chunks a previous process left in stream states (its writes had resolved) as short
   * slices. A failure is reported by #accept and leaves them in the state for the next start.
   */
  async #recoverOpenChunks(): Promise<void> {
    for (const state of this.outbox.streams()) {
      const slices = toRecover(this.outbox, state);
      if ((state as StateWithOpenChunks).openChunks === undefined) continue;
      if (state.phase !== "open") {
        if (slices.length > 0) {
          this.#log("error", `stream ${state.dataId} is ${state.phase} but its state holds ${slices.length} open chunk(s) a previous run left: ${slices.map((s) => `${s.channel}#${s.chunkIndex}(${s.values.length})`).join(" ")}; they stay in the outbox's state, not sent`);
        }
        continue;
      }
      if (slices.length > 0) this.#log("info", `recovering ${slices.length} open chunk(s) of ${state.dataId} left by a previous run`);
      // Put with no open chunks: the state forgets them in the same write (also those already covered).
      await this.#accept(state.dataId, slices, undefined, []).catch(() => {}); // reported by #accept
    }
  }

  #accepted(dataId: string, slices: Slice[]): void {
    this.#progress.accepted(dataId, slices);
    this.#log("trace", `accepted ${slices.map((s) => `${s.channel}#${s.chunkIndex}(${s.values.length})`).join(" ")} into ${dataId}`);
  }

  #acked(dataId: string, slices: SliceMeta[]): void {
    this.#progress.acked(dataId, slices);
    this.#log("trace", `acked ${slices.map((s) => `${s.channel}#${s.chunkIndex}`).join(" ")} of ${dataId}`);
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

function toSlice(channel: string, chunkIndex: number, timestamps: ArrayLike<number>, values: ArrayLike<number>, units?: string): Slice {
  return { channel, chunkIndex, timestamps: Array.from(timestamps), values: Array.from(values), units, complete: true };
}

async function* iterate<T>(source: Iterable<T> | AsyncIterable<T> | ReadableStream<T>): AsyncGenerator<T> {
  if (typeof (source as ReadableStream<T>).getReader === "function") {
    const reader = (source as ReadableStream<T>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  yield* source as Iterable<T> | AsyncIterable<T>;
}
