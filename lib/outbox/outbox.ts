/**
 * The Outbox: a store of pending slices keyed by (dataId, channel, chunkIndex), plus each stream's
 * state (design §2). `put` resolves once the slices are durable; a newer version of a key supersedes
 * an older pending one; `ack` deletes only the version that was sent. Every slice goes to the outbox
 * before the network sees it.
 *
 * BaseOutbox keeps the index (metadata, never the points) in memory and does the accounting,
 * capacity and overflow policy; a subclass stores records (memory, IndexedDB, files).
 */
import { keyString, type SliceKey } from "../types.js";

export type StreamPhase = "open" | "closing" | "finalized";

export interface StreamState {
  dataId: string;
  /** Fixed at initialize; 0 when unknown (a stream finalized by id only). */
  pointsPerChunk: number;
  /** The API this stream lives on. */
  endpoint: string;
  streamPrefix: "/metrology" | "/tool-state";
  /** Next chunk index per channel, for continuing the stream with `writable()`. */
  nextChunkIndex: Record<string, number>;
  phase: StreamPhase;
  /** Why the server refused to finalize, if it did (the stream is then not retried). */
  finalizeError?: QuarantineInfo | undefined;
  createdAt: number;
  updatedAt: number;
  /**
   * The platform's `data_id` once known. Equal to `dataId` for a stream initialized online; absent while
   * an initialize queued offline (`pendingInitialize`) has not gone through. Absent in records of older
   * versions: then `dataId` is the platform's id.
   */
  platformDataId?: string | undefined;
  /** An initialize (or the sample link and tags that follow it) still to send: the stream was started offline. */
  pendingInitialize?: QueuedInitialize | undefined;
  /** Why the server refused the queued initialize, if it did (the stream's slices then stay pending, reported). */
  initializeError?: QuarantineInfo | undefined;
  /**
   * What this stream's accepted slices hold, per channel, as runs `[fromChunk, toChunk, points]`
   * (chunks fromChunk … toChunk − 1 hold `points` points each): what a read-back must show before the
   * stream is finalized. Counts only, never the points.
   */
  ledger?: Array<[channel: string, runs: number[]]> | undefined;
}

/** The initialize of a stream started while the platform could not be reached, recorded until sent. */
export interface QueuedInitialize {
  pointsPerChunk: number;
  streamName: string | null;
  synthSourceId: number | null;
  projectId: string | null;
  /** A physical sample's name or UUID to link once the stream exists. */
  physicalSample: string | null;
  tags: string[];
  /** True once the stream exists on the platform (`platformDataId` set); the link and tags remain. */
  created: boolean;
}

export interface QuarantineInfo {
  status?: number | undefined;
  code: string;
  /** The server's `detail`. */
  detail: unknown;
  message: string;
  at: number;
}

/** What the outbox knows of a slice without reading its points. */
export interface SliceMeta extends SliceKey {
  version: number;
  points: number;
  bytes: number;
  complete: boolean;
  /** When this key was first accepted (ms epoch). */
  createdAt: number;
  quarantined?: QuarantineInfo | undefined;
}

export interface StoredSlice extends SliceMeta {
  timestamps: number[];
  values: number[];
  units?: string | undefined;
}

export interface NewSlice extends SliceKey {
  timestamps: number[];
  values: number[];
  units?: string | undefined;
  complete: boolean;
}

export type OverflowPolicy = "wait" | "drop-oldest" | "error";

export interface OutboxOptions {
  /** Byte budget for pending slices (an estimate: 16 bytes a point plus overhead). @default 64 MiB */
  capacityBytes?: number;
  /** When full: `wait` (writers wait: backpressure), `drop-oldest` (evict, count, emit) or `error`. @default "wait" */
  overflow?: OverflowPolicy;
}

export class OutboxFullError extends Error {
  override readonly name = "OutboxFullError";
  readonly code = "outbox_full";
  constructor(readonly usedBytes: number, readonly capacityBytes: number, readonly neededBytes: number) {
    super(
      `The outbox is full (${usedBytes} of ${capacityBytes} bytes used, ${neededBytes} more needed): the server has not taken data for a while. ` +
        `Raise capacityBytes, or use overflow "wait" (backpressure) or "drop-oldest".`,
    );
  }
}

/** Storage primitives a concrete outbox provides. Called with the index already updated. */
export interface OutboxStorage {
  /** Load everything at start-up (durable outboxes). */
  load(): Promise<{ slices: SliceMeta[]; streams: StreamState[] }>;
  /** Write slices (replacing earlier versions of their keys) and, atomically with them, stream states. Durable on return. */
  write(slices: StoredSlice[], streams: StreamState[]): Promise<void>;
  read(meta: SliceMeta): Promise<StoredSlice | undefined>;
  delete(metas: SliceMeta[]): Promise<void>;
  /** Persist a changed meta (quarantine) without its points changing. */
  updateMeta(meta: SliceMeta): Promise<void>;
  writeStream(state: StreamState): Promise<void>;
  close(): Promise<void>;
}

export interface DropRecord extends SliceKey {
  version: number;
  points: number;
}

const chunkKey = (dataId: string, chunkIndex: number): string => `${dataId}\u0000${chunkIndex}`;

export const SLICE_OVERHEAD_BYTES = 96;
export const sliceBytes = (points: number, channel: string): number => points * 16 + channel.length * 2 + SLICE_OVERHEAD_BYTES;

type Listener = (
  event: { type: "drop"; dropped: DropRecord[] } | { type: "space" } | { type: "change" } | { type: "corrupt"; slices: SliceMeta[] },
) => void;

export abstract class BaseOutbox {
  abstract readonly kind: string;
  /** True when pending slices survive a restart of the process. */
  abstract readonly durable: boolean;
  readonly capacityBytes: number;
  readonly overflow: OverflowPolicy;
  #slices = new Map<string, SliceMeta>();
  /**
   * The index's keys in put order, for newest-first scans: a key put again is appended and its old
   * entry left behind (live entries are those whose position #position names); compacted when
   * stale entries outnumber live ones.
   */
  #order: string[] = [];
  #position = new Map<string, number>();
  /** The keys of each (dataId, chunkIndex), in put order: the slices that may travel together. */
  #chunks = new Map<string, Set<string>>();
  #streams = new Map<string, StreamState>();
  #usedBytes = 0;
  #version = 0;
  #droppedSlices = 0;
  #droppedPoints = 0;
  #listeners = new Set<Listener>();
  /** Slices not quarantined, per stream, kept as the index changes (flush, finalize and progress ask often). */
  #pending = new Map<string, number>();
  /** Keys being sent right now: never evicted by "drop-oldest" (they may already be on the server). */
  #sending = new Map<string, number>();
  #spaceWaiters: Array<() => void> = [];
  #ready: Promise<void> | undefined;
  /** Serialises writes so the index and the store change in the same order. */
  #queue: Promise<unknown> = Promise.resolve();

  protected constructor(options: OutboxOptions = {}) {
    const cap = options.capacityBytes ?? 64 * 1024 * 1024;
    if (!(cap > 0)) throw new RangeError(`capacityBytes must be > 0, got ${cap}.`);
    const overflow = options.overflow ?? "wait";
    if (!["wait", "drop-oldest", "error"].includes(overflow)) {
      throw new RangeError(`overflow must be "wait", "drop-oldest" or "error", got ${JSON.stringify(overflow)}.`);
    }
    this.capacityBytes = cap;
    this.overflow = overflow;
  }

  protected abstract readonly storage: OutboxStorage;

  /** Load what a previous run left (idempotent). Every other method calls it first. */
  open(): Promise<void> {
    return (this.#ready ??= (async () => {
      const { slices, streams } = await this.storage.load();
      for (const s of slices) {
        const k = keyString(s);
        const prev = this.#slices.get(k);
        if (prev && prev.version >= s.version) continue;
        if (prev) {
          this.#usedBytes -= prev.bytes;
          this.#count(prev, -1);
          this.#slices.set(k, s);
          this.#count(s, 1);
        } else this.#append(k, s);
        this.#usedBytes += s.bytes;
        this.#version = Math.max(this.#version, s.version);
      }
      for (const st of streams) this.#streams.set(st.dataId, st);
      // A crash between a slice's write and its stream's state leaves the state behind: a continuation
      // must never reuse an index that holds data, so the next index is at least past every stored slice.
      for (const s of this.#slices.values()) {
        const st = this.#streams.get(s.dataId);
        if (st && (st.nextChunkIndex[s.channel] ?? 0) <= s.chunkIndex) {
          this.#streams.set(s.dataId, { ...st, nextChunkIndex: { ...st.nextChunkIndex, [s.channel]: s.chunkIndex + 1 } });
        }
      }
    })());
  }

  /**
   * Versions grow with time and carry random low digits, so two writers sharing a store (tabs, or a
   * process after a restart) practically never give one key the same version for different content.
   */
  #nextVersion(): number {
    this.#version = Math.max(this.#version + 1, Date.now() * 1000 + Math.floor(Math.random() * 1000));
    return this.#version;
  }

  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: Parameters<Listener>[0]): void {
    for (const l of this.#listeners) l(event);
  }

  get usedBytes(): number {
    return this.#usedBytes;
  }
  get droppedSlices(): number {
    return this.#droppedSlices;
  }
  get droppedPoints(): number {
    return this.#droppedPoints;
  }
  /** True when `bytes` more would not fit. */
  full(bytes = 0): boolean {
    return this.#usedBytes + bytes > this.capacityBytes && this.#usedBytes > 0;
  }

  /** Resolves when there is room for `bytes` more (immediately when the policy is not "wait"). */
  async waitForSpace(bytes = 0): Promise<void> {
    await this.open();
    while (this.overflow === "wait" && this.full(bytes)) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
  }

  #released(): void {
    const waiters = this.#spaceWaiters;
    this.#spaceWaiters = [];
    for (const w of waiters) w();
    this.#emit({ type: "space" });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Pending and quarantined slices (metadata only), optionally of one stream, in the order they were put. */
  slices(dataId?: string): SliceMeta[] {
    if (dataId === undefined) return [...this.#slices.values()];
    const mine: SliceMeta[] = [];
    for (const s of this.#slices.values()) if (s.dataId === dataId) mine.push(s);
    return mine;
  }

  #count(meta: SliceMeta, delta: 1 | -1): void {
    if (meta.quarantined) return;
    const n = (this.#pending.get(meta.dataId) ?? 0) + delta;
    if (n > 0) this.#pending.set(meta.dataId, n);
    else this.#pending.delete(meta.dataId);
  }

  /** How many slices of this stream wait to be sent (quarantined ones excepted). O(1). */
  pendingCount(dataId: string): number {
    return this.#pending.get(dataId) ?? 0;
  }

  /** The live index, oldest put first, for the uploader's scans (do not mutate). */
  get index(): ReadonlyMap<string, SliceMeta> {
    return this.#slices;
  }

  /** The index from the most recently put slice back to the oldest, with keys. Consume it before the outbox changes. */
  *newestFirst(): Generator<[key: string, meta: SliceMeta]> {
    const order = this.#order;
    const position = this.#position;
    for (let i = order.length - 1; i >= 0; i--) {
      const k = order[i]!;
      if (position.get(k) === i) yield [k, this.#slices.get(k)!];
    }
  }

  /** Slices set aside because their stored form is damaged (reported by key, never sent), optionally of one stream. */
  corruptSlices(dataId?: string): SliceMeta[] { return []; }

  /** The slices of one chunk index of a stream (every channel's), in put order. */
  chunk(dataId: string, chunkIndex: number): SliceMeta[] {
    const keys = this.#chunks.get(chunkKey(dataId, chunkIndex));
    return keys ? [...keys].map((k) => this.#slices.get(k)!) : [];
  }

  /** Index a slice as the newest put (a new key, or a key put again). */
  #append(k: string, meta: SliceMeta): void {
    const old = this.#slices.get(k);
    if (old) this.#count(old, -1);
    this.#count(meta, 1);
    this.#slices.delete(k);
    this.#slices.set(k, meta);
    this.#position.set(k, this.#order.length);
    this.#order.push(k);
    const c = chunkKey(meta.dataId, meta.chunkIndex);
    let keys = this.#chunks.get(c);
    if (!keys) this.#chunks.set(c, (keys = new Set()));
    keys.delete(k);
    keys.add(k);
    this.#compact();
  }

  #unindex(k: string): void {
    const meta = this.#slices.get(k);
    if (!meta) return;
    this.#count(meta, -1);
    this.#slices.delete(k);
    this.#position.delete(k);
    const c = chunkKey(meta.dataId, meta.chunkIndex);
    const keys = this.#chunks.get(c);
    keys?.delete(k);
    if (keys?.size === 0) this.#chunks.delete(c);
    // Stale entries at the newest end go at once (newest-first scans start there); the rest by compaction.
    const order = this.#order;
    while (order.length > 0 && this.#position.get(order[order.length - 1]!) !== order.length - 1) order.pop();
    this.#compact();
  }

  #compact(): void {
    if (this.#order.length <= 2 * this.#slices.size + 64) return;
    this.#order = [...this.#slices.keys()];
    this.#position = new Map(this.#order.map((k, i) => [k, i]));
  }

  get(key: SliceKey): SliceMeta | undefined {
    return this.#slices.get(keyString(key));
  }

  /**
   * Store slices durably (superseding older versions of their keys), optionally with stream states in
   * the same write. Applies the overflow policy: "error" throws OutboxFullError before storing anything;
   * "drop-oldest" evicts the oldest pending slices of other keys first. Returns the stored metadata.
   */
  put(slices: NewSlice[], streams: StreamState[] = []): Promise<SliceMeta[]> {
    return this.#serial(async () => {
      await this.open();
      const now = Date.now();
      const records: StoredSlice[] = slices.map((s) => {
        const prev = this.#slices.get(keyString(s));
        return {
          dataId: s.dataId,
          channel: s.channel,
          chunkIndex: s.chunkIndex,
          version: this.#nextVersion(),
          points: s.values.length,
          bytes: sliceBytes(s.values.length, s.channel),
          complete: s.complete,
          createdAt: prev?.createdAt ?? now,
          timestamps: s.timestamps,
          values: s.values,
          ...(s.units !== undefined ? { units: s.units } : {}),
        };
      });
      let delta = 0;
      for (const r of records) delta += r.bytes - (this.#slices.get(keyString(r))?.bytes ?? 0);
      const dropped: SliceMeta[] = [];
      if (delta > 0 && this.full(delta)) {
        if (this.overflow === "error") throw new OutboxFullError(this.#usedBytes, this.capacityBytes, delta);
        if (this.overflow === "drop-oldest") {
          const incoming = new Set(records.map(keyString));
          let used = this.#usedBytes;
          for (const meta of this.#slices.values()) {
            if (used + delta <= this.capacityBytes) break;
            if (incoming.has(keyString(meta)) || this.#sending.has(keyString(meta))) continue;
            dropped.push(meta);
            used -= meta.bytes;
          }
        }
      }
      if (dropped.length > 0) await this.storage.delete(dropped);
      await this.storage.write(records, streams);
      for (const d of dropped) {
        this.#unindex(keyString(d));
        this.#usedBytes -= d.bytes;
        this.#droppedSlices += 1;
        this.#droppedPoints += d.points;
      }
      const metas: SliceMeta[] = [];
      for (const r of records) {
        const k = keyString(r);
        const prev = this.#slices.get(k);
        if (prev) this.#usedBytes -= prev.bytes;
        const { timestamps: _t, values: _v, units: _u, ...meta } = r;
        this.#append(k, meta); // (re-)inserted: the index stays in put order
        this.#usedBytes += meta.bytes;
        metas.push(meta);
      }
      for (const st of streams) this.#streams.set(st.dataId, st);
      if (dropped.length > 0) {
        this.#emit({ type: "drop", dropped: dropped.map((d) => ({ dataId: d.dataId, channel: d.channel, chunkIndex: d.chunkIndex, version: d.version, points: d.points })) });
      }
      this.#emit({ type: "change" });
      return metas;
    });
  }

  /**
   * The slice's points at its current version. A slice the store no longer has (another tab or process
   * sharing the store acked it) leaves the index.
   */
  async read(key: SliceKey): Promise<StoredSlice | undefined> {
    await this.open();
    const k = keyString(key);
    const meta = this.#slices.get(k);
    if (!meta) return undefined;
    const stored = await this.storage.read(meta);
    if (stored && stored.version === meta.version) return { ...stored, quarantined: this.#slices.get(k)?.quarantined ?? stored.quarantined };
    if (stored) {
      // Another writer sharing the store put a different version: that one is what is pending now.
      await this.#serial(async () => {
        const current = this.#slices.get(k);
        if (current && current.version !== stored.version) {
          const { timestamps: _t, values: _v, units: _u, ...fresh } = stored;
          this.#usedBytes += fresh.bytes - current.bytes;
          this.#count(current, -1);
          this.#count(fresh, 1);
          this.#slices.set(k, fresh);
        }
      });
      return stored;
    }
    await this.#serial(async () => {
      const current = this.#slices.get(k);
      if (current?.version !== meta.version) return;
      this.#unindex(k);
      this.#usedBytes -= meta.bytes;
      this.#released();
    });
    return undefined;
  }

  /**
   * Claim slices for sending, so that two uploaders sharing one store (browser tabs) never send the
   * same slice at the same time. Returns the ones claimed and a release; by default all of them.
   */
  async lockForSend(metas: SliceMeta[]): Promise<{ locked: SliceMeta[]; release: () => void }> {
    return { locked: metas, release: () => {} };
  }

  /** The uploader marks what it is sending, so that "drop-oldest" never evicts a slice on its way out. */
  markSending(metas: SliceMeta[], sending: boolean): void {
    for (const m of metas) {
      const k = keyString(m);
      const n = (this.#sending.get(k) ?? 0) + (sending ? 1 : -1);
      if (n > 0) this.#sending.set(k, n);
      else this.#sending.delete(k);
    }
  }

  /** Storage usage, quota and persistence where the platform reports them (browsers). */
  storageInfo(): { usage?: number; quota?: number; persisted?: boolean } | undefined {
    return undefined;
  }

  /** The server has this version: delete it, unless a newer version arrived meanwhile. */
  ack(key: SliceKey, version: number): Promise<boolean> {
    return this.ackAll([{ ...key, version }]).then(([done]) => done!);
  }

  /**
   * `ack` for several slices at once (one request's), in one storage delete: each is deleted only if
   * the version named is still the pending one. Resolves with what `ack` would have for each.
   */
  ackAll(acks: ReadonlyArray<SliceKey & { version: number }>): Promise<boolean[]> {
    return this.#serial(async () => {
      const metas = acks.map((a) => {
        const meta = this.#slices.get(keyString(a));
        return meta && meta.version === a.version ? meta : undefined;
      });
      const gone = metas.filter((m): m is SliceMeta => m !== undefined);
      if (gone.length === 0) return metas.map(() => false);
      await this.storage.delete(gone);
      for (const meta of gone) {
        this.#unindex(keyString(meta));
        this.#usedBytes -= meta.bytes;
      }
      this.#released();
      return metas.map((m) => m !== undefined);
    });
  }

  /** Remove slices whatever their version (finalize with force, or a user discarding quarantined data). */
  remove(keys: SliceKey[]): Promise<SliceMeta[]> {
    return this.#serial(async () => {
      const metas = keys.map((k) => this.#slices.get(keyString(k))).filter((m): m is SliceMeta => m !== undefined);
      if (metas.length === 0) return [];
      await this.storage.delete(metas);
      for (const m of metas) {
        this.#unindex(keyString(m));
        this.#usedBytes -= m.bytes;
      }
      this.#released();
      return metas;
    });
  }

  /** Keep this version aside with the server's reason: never retried, never silently deleted. */
  quarantine(key: SliceKey, version: number, info: QuarantineInfo): Promise<SliceMeta | undefined> {
    return this.#serial(async () => {
      const meta = this.#slices.get(keyString(key));
      if (!meta || meta.version !== version) return undefined;
      const next = { ...meta, quarantined: info };
      await this.storage.updateMeta(next);
      this.#count(meta, -1);
      this.#count(next, 1);
      this.#slices.set(keyString(key), next);
      return next;
    });
  }

  getStream(dataId: string): StreamState | undefined {
    return this.#streams.get(dataId);
  }

  streams(): StreamState[] {
    return [...this.#streams.values()];
  }

  putStream(state: StreamState): Promise<void> {
    return this.#serial(async () => {
      await this.open();
      await this.storage.writeStream(state);
      this.#streams.set(state.dataId, state);
      this.#emit({ type: "change" });
    });
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.storage.close();
  }
}
