/**
 * TimeseriesStreamer: the seed's API (the Python SDK's TimeseriesStreamer) in TypeScript idiom, over
 * the outbox, the uploader and the streams. Every accepted reading goes to the outbox first; the
 * uploader sends it, retries what is transient, pauses on auth errors, quarantines what the server
 * refuses, and finalizes streams once their slices are acked.
 */
import { AtomscaleClient, DEFAULT_ENDPOINT, type StreamPrefix } from "./api/client.js";
import type { ErrorClassification } from "./api/errors.js";
import { checkChannel, checkChunkIndex, checkDataId, checkPoints, checkUnits, InvalidInputError } from "./input.js";
import { MemoryOutbox } from "./outbox/memory.js";
import type { BaseOutbox, NewSlice, SliceMeta, StoredSlice, StreamPhase, StreamState } from "./outbox/outbox.js";
import { UploadStream, type UploadStreamOptions } from "./streams/upload-stream.js";
import { keyString, type Slice } from "./types.js";
import { retryOptions, type RetryOptions } from "./upload/retry.js";
import { Uploader, type UploaderState } from "./upload/uploader.js";

export type Verbosity = 0 | 1 | 2 | 3 | 4;

export interface TimeseriesStreamerOptions {
  /** Sent as X-API-KEY. */
  apiKey: string;
  /** @default "https://api.atomscale.ai" */
  endpoint?: string;
  /** Points per chunk, sent at initialize and fixed per stream. @default 100 */
  pointsPerChunk?: number;
  /** 0 off, 1 errors, 2 info, 3 debug, 4 trace (detailed progress). @default 0 */
  verbosity?: Verbosity;
  /** Where pending slices wait. @default new MemoryOutbox() */
  outbox?: BaseOutbox;
  /** Requests in flight at once. @default 4 */
  concurrency?: number;
  /** Backoff and Retry-After caps. */
  retry?: RetryOptions;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
  /** @default "/metrology" */
  streamPrefix?: StreamPrefix;
  /** Per-request timeout. @default 30000 */
  timeoutMs?: number;
  /** Where log lines go. @default console */
  logger?: (level: "error" | "info" | "debug" | "trace", message: string) => void;
}

export interface InitializeOptions {
  streamName?: string;
  /** A physical sample's name (matched case-insensitively, created if missing) or UUID (must exist). */
  physicalSample?: string;
  /** Growth instrument id (`client.listGrowthInstruments()`). */
  synthSourceId?: number;
  /** Project UUID; with a physical sample, the sample is tracked in the project. */
  projectId?: string;
}

export interface PushParams {
  chunkIndex: number;
  channelName: string;
  timestamps: ArrayLike<number>;
  values: ArrayLike<number>;
  units?: string;
}

export interface PushMultiParams {
  chunkIndex: number;
  channels: Record<string, { timestamps: ArrayLike<number>; values: ArrayLike<number>; units?: string }>;
}

export type ChunkSource =
  | Iterable<readonly [ArrayLike<number>, ArrayLike<number>]>
  | AsyncIterable<readonly [ArrayLike<number>, ArrayLike<number>]>
  | ReadableStream<readonly [ArrayLike<number>, ArrayLike<number>]>;

export interface RunParams {
  channelName: string;
  dataIter: ChunkSource;
  units?: string;
  /** Chunk index of the first item. @default 0 */
  startChunkIndex?: number;
  /** Wait until the server has everything before resolving. @default true */
  flush?: boolean;
}

export interface FinalizeOptions {
  /** How long to wait for pending slices before deferring the finalize. @default 30000 */
  timeoutMs?: number;
  /** Finalize now; return the slices not yet sent (removed from the outbox). @default false */
  force?: boolean;
}

export interface FinalizeResult {
  /** "deferred": slices are still pending; the finalize completes by itself once they are acked. */
  status: "finalized" | "deferred";
  /** Slices not on the server: pending ones when deferred (metadata), or with their points when forced. */
  unsent: Array<SliceMeta | StoredSlice>;
  /** Slices the server refused, with its reasons. */
  quarantined: SliceMeta[];
}

export interface StreamStats {
  acceptedPoints: number;
  ackedPoints: number;
  pendingSlices: number;
  pendingBytes: number;
  /** Age of the oldest pending slice, ms (0 when none). */
  oldestPendingMs: number;
  inFlight: number;
  retries: number;
  quarantined: number;
  /** The stream's phase, or "unknown" if this streamer has no record of it. */
  state: StreamPhase | "unknown";
  /** The uploader's connection state. */
  connection: UploaderState;
  /** Slices dropped by an outbox with overflow "drop-oldest" (all streams). */
  droppedSlices: number;
  /** Bytes the outbox holds (all streams) and its capacity. */
  outboxBytes: number;
  outboxCapacityBytes: number;
  /** Browser storage usage, quota and persistence (IndexedDbOutbox), when known. */
  storage?: { usage?: number; quota?: number; persisted?: boolean } | undefined;
}

export class StreamClosedError extends Error {
  override readonly name = "StreamClosedError";
  readonly code = "stream_closed";
  constructor(readonly dataId: string, readonly phase: StreamPhase) {
    super(`Stream ${dataId} is ${phase === "closing" ? "being finalized" : "finalized"}: it takes no more data. Initialize a new stream.`);
  }
}

/** Per-stream counters (in memory; they restart at zero with the process). */
interface Counters {
  accepted: number;
  acked: number;
  /** Keys whose newest accepted slice is partial: points accepted and acked so far for them. */
  partial: Map<string, { accepted: number; acked: number }>;
}

const LEVELS = { error: 1, info: 2, debug: 3, trace: 4 } as const;

/**
 * Stream instrument readings to Atomscale.
 *
 * @example
 * const streamer = new TimeseriesStreamer({ apiKey, pointsPerChunk: 100 });
 * const dataId = await streamer.initialize({ streamName: "MBE growth - temperature log" });
 * await readings.pipeTo(streamer.writable(dataId));   // or push / pushMulti / run
 */
export class TimeseriesStreamer extends EventTarget {
  readonly client: AtomscaleClient;
  readonly outbox: BaseOutbox;
  readonly pointsPerChunk: number;
  /** Resolves once the outbox is open and recovery of what it held has started. */
  readonly ready: Promise<void>;
  readonly #uploader: Uploader;
  readonly #counters = new Map<string, Counters>();
  readonly #writables = new Map<string, UploadStream>();
  /** How to seal each open writable's chunks into the outbox, by stream. */
  readonly #sealers = new Map<string, () => Promise<void>>();
  readonly #log: (level: keyof typeof LEVELS, message: string) => void;
  #waiters = new Set<() => void>();
  #closed = false;

  constructor(options: TimeseriesStreamerOptions) {
    super();
    const ppc = options.pointsPerChunk ?? 100;
    if (!Number.isSafeInteger(ppc) || ppc < 1) throw new InvalidInputError("pointsPerChunk", ppc, "must be a whole number ≥ 1");
    const concurrency = options.concurrency ?? 4;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new InvalidInputError("concurrency", concurrency, "must be a whole number ≥ 1");
    const verbosity = options.verbosity ?? 0;
    if (![0, 1, 2, 3, 4].includes(verbosity)) throw new InvalidInputError("verbosity", verbosity, "must be 0, 1, 2, 3 or 4");
    this.pointsPerChunk = ppc;
    this.client = new AtomscaleClient({
      apiKey: options.apiKey,
      endpoint: options.endpoint ?? DEFAULT_ENDPOINT,
      streamPrefix: options.streamPrefix ?? "/metrology",
      timeoutMs: options.timeoutMs ?? 30_000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.outbox = options.outbox ?? new MemoryOutbox();
    const sink =
      options.logger ??
      ((level: string, message: string) => (level === "error" ? console.error : console.log)(`atomscale-stream ${level}: ${message}`));
    this.#log = (level, message) => {
      if (LEVELS[level] <= verbosity) sink(level, message);
    };

    this.#uploader = new Uploader({
      client: this.client,
      outbox: this.outbox,
      concurrency,
      retry: retryOptions(options.retry),
      events: {
        acked: (dataId, slices) => this.#acked(dataId, slices),
        failed: (error, info) => {
          const level = info.classification === "transient" ? "debug" : "error";
          this.#log(level, `${error.message}${info.retryInMs !== undefined ? ` Retrying in ${info.retryInMs} ms.` : ""}`);
          this.#emit("error", {
            error,
            dataId: info.dataId,
            classification: info.classification,
            retryInMs: info.retryInMs,
            slices: info.slices.map(({ channel, chunkIndex }) => ({ channel, chunkIndex })),
          });
        },
        quarantined: (dataId, slices) => {
          this.#log("error", `quarantined ${slices.length} slice(s) of ${dataId}: ${slices.map((s) => `${s.channel}#${s.chunkIndex}`).join(", ")}`);
          this.#emit("quarantine", {
            dataId,
            slices: slices.map((s) => ({ channel: s.channel, chunkIndex: s.chunkIndex, points: s.points, ...s.quarantined })),
          });
        },
        finalized: (state) => {
          this.#log("info", `stream ${state.dataId} finalized${state.finalizeError ? ` with an error: ${state.finalizeError.message}` : ""}`);
          this.#emit("state", { dataId: state.dataId, phase: state.phase });
          this.#settled();
        },
        state: (connection) => {
          this.#log("debug", `uploader ${connection}`);
          this.#emit("state", { connection });
        },
        settled: () => this.#settled(),
      },
    });
    const unsubscribe = this.outbox.on((e) => {
      if (e.type === "drop") {
        this.#log("error", `outbox full: dropped ${e.dropped.length} oldest slice(s)`);
        this.#emit("error", {
          error: new Error(`The outbox was full: ${e.dropped.length} oldest slice(s) dropped (overflow "drop-oldest").`),
          classification: "permanent" as ErrorClassification,
          dropped: e.dropped,
        });
      }
      this.#settled();
    });
    this.ready = this.outbox.open().then(
      () => {
        // What a previous run accepted and left pending counts as accepted here too.
        for (const s of this.outbox.slices()) {
          const c = this.#countersFor(s.dataId);
          c.accepted += s.points;
          if (!s.complete) c.partial.set(keyString(s), { accepted: s.points, acked: 0 });
        }
        const pending = this.outbox.slices().filter((s) => !s.quarantined).length;
        const closing = this.outbox.streams().filter((s) => s.phase === "closing").length;
        if (pending > 0 || closing > 0) this.#log("info", `recovering ${pending} pending slice(s) and ${closing} stream(s) to finalize`);
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

  /** Create a stream on the platform; link a physical sample and track it in a project when asked. */
  async initialize(options: InitializeOptions = {}): Promise<string> {
    await this.ready;
    const physicalSample = options.physicalSample?.trim() || undefined;
    const projectId = options.projectId?.trim() || undefined;
    if (options.synthSourceId !== undefined && !Number.isSafeInteger(options.synthSourceId)) {
      throw new InvalidInputError("synthSourceId", options.synthSourceId, "must be a whole number (a growth instrument id)");
    }
    const { dataId } = await this.client.initializeStream({
      pointsPerChunk: this.pointsPerChunk,
      streamName: options.streamName ?? null,
      synthSourceId: options.synthSourceId ?? null,
      projectId: projectId ?? null,
    });
    await this.outbox.putStream(this.#newState(dataId, this.pointsPerChunk));
    this.#log("info", `stream ${dataId} initialized (${this.pointsPerChunk} points per chunk)`);
    if (physicalSample) {
      try {
        const sampleId = await this.#resolveSample(physicalSample);
        await this.client.linkPhysicalSample({ dataIds: [dataId], physicalSampleId: sampleId });
        if (projectId) await this.client.trackSampleInProject({ projectId, physicalSampleId: sampleId, setActive: true });
      } catch (cause) {
        const error = new Error(
          `Stream ${dataId} was created, but linking physical sample ${JSON.stringify(physicalSample)} failed: ${(cause as Error).message} ` +
            "The stream is usable; link the sample later, or finalize the stream.",
          { cause },
        );
        throw Object.assign(error, { dataId });
      }
    }
    return dataId;
  }

  async #resolveSample(sample: string): Promise<string> {
    const samples = await this.client.listPhysicalSamples();
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sample)) {
      const found = samples.find((s) => s.id.toLowerCase() === sample.toLowerCase());
      if (!found) throw new InvalidInputError("physicalSample", sample, "is a UUID that matches no physical sample of your organization");
      return found.id;
    }
    const lower = sample.toLowerCase();
    const byName = samples.find((s) => (s.name ?? "").toLowerCase() === lower);
    if (byName) return byName.id;
    return (await this.client.createPhysicalSample({ name: sample })).id;
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

  /** Accept several channels' slices sharing `chunkIndex`, all or none; they travel in one request. */
  async pushMulti(dataId: string, params: PushMultiParams): Promise<void> {
    checkDataId(dataId);
    await this.ready;
    const state = this.#openState(dataId);
    checkChunkIndex(params?.chunkIndex);
    const channels = params.channels;
    if (typeof channels !== "object" || channels === null || Object.keys(channels).length === 0) {
      throw new InvalidInputError("channels", channels, "must map one or more channel names to { timestamps, values, units? }");
    }
    const slices: Slice[] = [];
    for (const [name, points] of Object.entries(channels)) {
      checkChannel(name, `channels[${JSON.stringify(name)}]`);
      if (typeof points !== "object" || points === null) throw new InvalidInputError(`channels.${name}`, points, "must be { timestamps, values, units? }");
      checkPoints(points.timestamps, points.values, `channels.${name}`, state.pointsPerChunk || undefined);
      checkUnits(points.units, `channels.${name}.units`);
      slices.push(toSlice(name, params.chunkIndex, points.timestamps, points.values, points.units));
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
      await this.push(dataId, { chunkIndex: start + i, channelName: params.channelName, timestamps: item[0], values: item[1], ...(params.units !== undefined ? { units: params.units } : {}) });
      i++;
    }
    if (params.flush ?? true) await this.flush(dataId);
  }

  /**
   * A WritableStream of readings for this stream: chunked per channel, partial slices after
   * `maxLatencyMs`, durable in the outbox before `write()` resolves; `close()` finalizes.
   * Continues at the stream's next chunk index per channel.
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
        accept: (slices, next) => streamer.#accept(dataId, slices, next),
        report: (error) => streamer.#emit("error", { error, dataId, classification: "permanent" as ErrorClassification }),
        finalize: (timeoutMs) => streamer.finalize(dataId, timeoutMs === undefined ? {} : { timeoutMs }),
        detach: () => {
          if (streamer.#writables.get(dataId) === writable) {
            streamer.#writables.delete(dataId);
            streamer.#sealers.delete(dataId);
          }
        },
        register: (seal) => void streamer.#sealers.set(dataId, seal),
      },
      options,
    );
    this.#writables.set(dataId, writable);
    return writable;
  }

  /** Resolves when everything accepted so far for this stream is acked (quarantined slices excepted). */
  async flush(dataId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    checkDataId(dataId);
    await this.ready;
    await this.#until(() => this.#drained(dataId), options.signal);
  }

  /**
   * Finalize once this stream's slices are acked. If they are not within `timeoutMs`, the finalize is
   * deferred: recorded as `closing` in the outbox and completed automatically (here, or after a restart
   * with a durable outbox). `force: true` finalizes now and hands back the slices not yet sent.
   */
  async finalize(dataId: string, options: FinalizeOptions = {}): Promise<FinalizeResult> {
    checkDataId(dataId);
    await this.ready;
    const timeoutMs = options.timeoutMs ?? 30_000;
    const state: StreamState = this.outbox.getStream(dataId) ?? this.#newState(dataId, 0);
    const quarantined = () => this.outbox.slices(dataId).filter((s) => s.quarantined);
    // A writable still open on this stream: its open chunks go to the outbox first (nothing accepted is lost).
    await this.#sealers.get(dataId)?.();
    if (state.phase === "finalized") return this.#finalizedResult(this.outbox.getStream(dataId) ?? state, [], quarantined());

    if (options.force) {
      await this.#until(() => this.#uploader.inFlight(dataId) === 0 && !this.#uploader.isFinalizing(dataId));
      const pending = this.outbox.slices(dataId).filter((s) => !s.quarantined);
      const unsent = (await Promise.all(pending.map((m) => this.outbox.read(m)))).filter((s): s is StoredSlice => s !== undefined);
      await this.client.finalizeStream(dataId);
      await this.outbox.remove(unsent);
      const done: StreamState = { ...state, phase: "finalized", updatedAt: Date.now() };
      await this.outbox.putStream(done);
      this.#emit("state", { dataId, phase: "finalized" });
      return { status: "finalized", unsent, quarantined: quarantined() };
    }

    if (state.phase === "open") {
      await this.outbox.putStream({ ...state, phase: "closing", updatedAt: Date.now() });
      this.#emit("state", { dataId, phase: "closing" });
    }
    this.#uploader.kick();
    const finished = await this.#until(() => this.outbox.getStream(dataId)?.phase === "finalized", undefined, timeoutMs);
    if (!finished) {
      const pending = this.outbox.slices(dataId).filter((s) => !s.quarantined);
      this.#log("info", `finalize of ${dataId} deferred: ${pending.length} slice(s) still pending`);
      return { status: "deferred", unsent: pending, quarantined: quarantined() };
    }
    return this.#finalizedResult(this.outbox.getStream(dataId)!, [], quarantined());
  }

  #finalizedResult(state: StreamState, unsent: SliceMeta[], quarantined: SliceMeta[]): FinalizeResult {
    if (state.finalizeError) {
      throw Object.assign(new Error(`The server refused to finalize stream ${state.dataId}: ${state.finalizeError.message}`), {
        dataId: state.dataId,
        status: state.finalizeError.status,
        detail: state.finalizeError.detail,
      });
    }
    return { status: "finalized", unsent, quarantined };
  }

  stats(dataId: string): StreamStats {
    const counters = this.#counters.get(dataId);
    const mine = this.outbox.slices(dataId);
    const pending = mine.filter((s) => !s.quarantined);
    const oldest = pending.reduce((min, s) => Math.min(min, s.createdAt), Infinity);
    return {
      acceptedPoints: counters?.accepted ?? 0,
      ackedPoints: counters?.acked ?? 0,
      pendingSlices: pending.length,
      pendingBytes: pending.reduce((n, s) => n + s.bytes, 0),
      oldestPendingMs: pending.length > 0 ? Math.max(0, Date.now() - oldest) : 0,
      inFlight: this.#uploader.inFlight(dataId),
      retries: this.#uploader.retries(dataId),
      quarantined: mine.length - pending.length,
      state: this.outbox.getStream(dataId)?.phase ?? "unknown",
      connection: this.#uploader.state,
      droppedSlices: this.outbox.droppedSlices,
      outboxBytes: this.outbox.usedBytes,
      outboxCapacityBytes: this.outbox.capacityBytes,
      storage: this.outbox.storageInfo(),
    };
  }

  /** Replace the API key (after a 401/403): uploads resume with it. */
  setApiKey(apiKey: string): void {
    this.client.setApiKey(apiKey);
    this.#log("info", "API key replaced; resuming uploads");
    this.#uploader.resume();
  }

  /** Try now instead of waiting out a backoff (e.g. on the browser's `online` event). */
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

  // ---- internals ----

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
      nextChunkIndex: {},
      phase: "open",
      createdAt: now,
      updatedAt: now,
    };
  }

  /** Put slices in the outbox with the stream's state. Starts the put synchronously (ordering of versions). */
  #accept(dataId: string, slices: Slice[], nextChunkIndex?: Record<string, number>): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("This TimeseriesStreamer is closed."));
    const state = this.outbox.getStream(dataId) ?? this.#openState(dataId);
    if (state.phase !== "open") return Promise.reject(new StreamClosedError(dataId, state.phase));
    const next = { ...state.nextChunkIndex };
    for (const s of slices) next[s.channel] = Math.max(next[s.channel] ?? 0, s.chunkIndex + 1);
    if (nextChunkIndex) for (const [ch, n] of Object.entries(nextChunkIndex)) next[ch] = Math.max(next[ch] ?? 0, n);
    const records: NewSlice[] = slices.map((s) => ({ dataId, ...s }));
    const counters = this.#countersFor(dataId);
    return this.outbox.put(records, [{ ...state, nextChunkIndex: next, updatedAt: Date.now() }]).then(
      () => this.#accepted(dataId, slices, counters),
      (error: unknown) => {
        // The outbox refused (full with overflow "error", or the browser's storage quota): say so loudly.
        const code = (error as { code?: string })?.code;
        this.#log("error", `the outbox refused ${slices.length} slice(s) of ${dataId}: ${(error as Error)?.message}`);
        this.#emit("error", { error, dataId, classification: "permanent" as ErrorClassification, refused: slices.map(({ channel, chunkIndex }) => ({ channel, chunkIndex })) });
        if (code === "outbox_quota" || code === "outbox_full") this.#emit("state", { dataId, storage: code === "outbox_quota" ? "quota-exceeded" : "full" });
        throw error;
      },
    );
  }

  #accepted(dataId: string, slices: Slice[], counters: Counters): void {
    for (const s of slices) {
      const k = keyString({ dataId, channel: s.channel, chunkIndex: s.chunkIndex });
      const partial = counters.partial.get(k);
      counters.accepted += s.values.length - (partial?.accepted ?? 0);
      if (s.complete && !partial) continue;
      counters.partial.set(k, { accepted: s.values.length, acked: partial?.acked ?? 0 });
    }
    this.#log("trace", `accepted ${slices.map((s) => `${s.channel}#${s.chunkIndex}(${s.values.length})`).join(" ")} into ${dataId}`);
  }

  #acked(dataId: string, slices: SliceMeta[]): void {
    const counters = this.#countersFor(dataId);
    for (const s of slices) {
      const k = keyString(s);
      const partial = counters.partial.get(k);
      counters.acked += s.points - (partial?.acked ?? 0);
      if (partial) {
        if (s.complete && partial.accepted === s.points) counters.partial.delete(k);
        else partial.acked = s.points;
      }
    }
    this.#log("trace", `acked ${slices.map((s) => `${s.channel}#${s.chunkIndex}`).join(" ")} of ${dataId}`);
    this.#emit("progress", { dataId, ackedPoints: counters.acked, acceptedPoints: counters.accepted, pendingSlices: this.outbox.pendingCount(dataId) });
  }

  #countersFor(dataId: string): Counters {
    let c = this.#counters.get(dataId);
    if (!c) this.#counters.set(dataId, (c = { accepted: 0, acked: 0, partial: new Map() }));
    return c;
  }

  #drained(dataId: string): boolean {
    return this.#uploader.inFlight(dataId) === 0 && this.outbox.pendingCount(dataId) === 0;
  }

  #settled(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Wait until `ready()` holds; false on timeout. Rejects on abort or when the streamer closes. */
  #until(ready: () => boolean, signal?: AbortSignal, timeoutMs?: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise<boolean>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (fn: () => void) => {
        this.#waiters.delete(check);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const check = () => {
        if (ready()) finish(() => resolve(true));
        else if (this.#closed) finish(() => reject(new Error("The TimeseriesStreamer was closed while waiting.")));
      };
      const onAbort = () => finish(() => reject(signal!.reason ?? new DOMException("Aborted", "AbortError")));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort);
      if (timeoutMs !== undefined) timer = setTimeout(() => finish(() => resolve(false)), timeoutMs);
      this.#waiters.add(check);
    });
  }

  #emit(type: "progress" | "error" | "quarantine" | "state", detail: unknown): void {
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
