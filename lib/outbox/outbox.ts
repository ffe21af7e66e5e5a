/**
 * The Outbox: a store of pending slices keyed by (dataId, channel, chunkIndex), plus each stream's
 * state (design §2). `put` resolves once the slices are durable; a newer version of a key supersedes
 * an older pending one; `ack` deletes only the version that was sent. Every slice goes to the outbox
 * before the network sees it.
 *
 * BaseOutbox implements the {@link Outbox} interface (interface.ts): it keeps a compact index (metadata,
 * never the points: see ledger.ts, slice-index.ts) in memory, serialises writes and tells listeners;
 * its parts are the overflow policy (overflow.ts), versions (versions.ts), claims (claims.ts), the read
 * contract (read-contract.ts: storage errors are errors, damaged slices are set aside as corrupt) and
 * the streams' states with their pruning (stream-states.ts), the writes of slices with the overflow
 * policy (slice-writes.ts, overflow.ts). A subclass stores records (memory,
 * IndexedDB, files). What to send next is decided by the uploader (lib/upload/schedule.ts), from `order`.
 */
import type { SliceKey } from "../types.js";
import { Claims } from "./claims.js";
import { Ledger, type OutboxSummary } from "./ledger.js";
import { resolveOutboxOptions } from "./options.js";
import { SpaceWaiters } from "./overflow.js";
import type { Claim, Outbox, PendingOrder, StorageInfo } from "./interface.js";
import { corruptKey, ReadContract } from "./read-contract.js";
import { SliceWrites } from "./slice-writes.js";
import { StreamStates } from "./stream-states.js";
import { Versions } from "./versions.js";
import type {
  CorruptSlice,
  NewSlice,
  OutboxEvent,
  OutboxOptions,
  OutboxStorage,
  OverflowPolicy,
  QuarantineInfo,
  SliceMeta,
  StoredSlice,
  StreamState,
} from "./types.js";

export type * from "./types.js";
export type { Claim, Outbox, PendingOrder, StorageInfo } from "./interface.js";
export type { OutboxSummary } from "./ledger.js";
export { CorruptSliceError, OutboxFullError, OutboxReadError } from "./errors.js";
export { SLICE_OVERHEAD_BYTES, sliceBytes } from "./sizes.js";

export { MEMORY_CAPACITY_BYTES, PRUNE_FINALIZED_AFTER_MS } from "./options.js";
type Listener = (event: OutboxEvent) => void;

export abstract class BaseOutbox implements Outbox {
  abstract readonly kind: string;
  /** True when pending slices survive a restart of the process. */
  abstract readonly durable: boolean;
  /**
   * True when other writers (browser tabs) share the store: a record gone from it was acknowledged
   * by one of them. False when this process is its only writer: a pending record that vanished is damage.
   */
  protected readonly sharedStore: boolean = false;
  readonly overflow: OverflowPolicy;
  readonly pruneFinalizedAfterMs: number;
  #capacityBytes: number;
  readonly #capacityGiven: boolean;
  readonly #ledger = new Ledger();
  readonly #index = this.#ledger.index;
  readonly #streams = new StreamStates({
    storage: () => this.storage,
    holdsSlices: (dataId) => this.#index.hasStream(dataId),
    pruneFinalizedAfterMs: () => this.pruneFinalizedAfterMs,
  });
  #corrupt = new Map<string, CorruptSlice>();
  readonly #versions = new Versions();
  #listeners = new Set<Listener>();
  readonly #space = new SpaceWaiters();
  #ready: Promise<void> | undefined;
  readonly #claims = new Claims(this.#ledger);
  readonly #reads = new ReadContract({
    storage: () => this.storage,
    sharedStore: () => this.sharedStore,
    ledger: this.#ledger,
    serial: (fn) => this.#serial(fn),
    released: () => this.#released(),
    emit: (event) => this.#emit(event),
    keepCorrupt: (slice) => this.#corrupt.set(corruptKey(slice), slice),
  });
  readonly #writes = new SliceWrites({
    storage: () => this.storage,
    ledger: this.#ledger,
    versions: this.#versions,
    streams: this.#streams,
    overflow: () => this.overflow,
    capacityBytes: () => this.#capacityBytes,
    full: (bytes) => this.full(bytes),
    released: () => this.#released(),
    emit: (event) => this.#emit(event),
  });
  /** Serialises writes so the index and the store change in the same order. */
  #queue: Promise<unknown> = Promise.resolve();

  protected constructor(options: OutboxOptions = {}) {
    const resolved = resolveOutboxOptions(options);
    this.#capacityBytes = resolved.capacityBytes;
    this.#capacityGiven = resolved.capacityGiven;
    this.overflow = resolved.overflow;
    this.pruneFinalizedAfterMs = resolved.pruneFinalizedAfterMs;
  }

  protected abstract readonly storage: OutboxStorage;

  /**
   * The byte budget for pending slices. Durable outboxes without a `capacityBytes` option size it to
   * their medium when they open (a share of the free disk, or of the origin's quota).
   */
  get capacityBytes(): number {
    return this.#capacityBytes;
  }

  /** The default capacity for this medium, asked once at open; undefined keeps the memory-sized one. */
  protected defaultCapacityBytes(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }

  /** Load what a previous run left (idempotent). Every other method calls it first. */
  open(): Promise<void> {
    return (this.#ready ??= (async () => {
      const { slices, streams, corrupt = [] } = await this.storage.load();
      if (!this.#capacityGiven) this.#capacityBytes = (await this.defaultCapacityBytes().catch(() => undefined)) ?? this.#capacityBytes;
      for (const s of slices) {
        const prev = this.#index.get(s);
        if (prev && prev.version >= s.version) continue;
        this.#ledger.append(s);
        this.#versions.seen(s.version);
      }
      for (const c of corrupt) this.#corrupt.set(corruptKey(c), c);
      await this.#streams.load(streams, [...slices, ...corrupt], slices);
      if (corrupt.length > 0) this.#emit({ type: "corrupt", slices: corrupt });
    })());
  }

  /** Prune now (at open it happens by itself; a long-lived process does it at most hourly). Returns the streams removed. */
  pruneFinalized(): Promise<string[]> {
    return this.#serial(async () => {
      await this.open();
      return this.#streams.pruneNow();
    });
  }

  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: OutboxEvent): void {
    for (const l of this.#listeners) l(event);
  }

  get usedBytes(): number {
    return this.#ledger.usedBytes;
  }
  get droppedSlices(): number {
    return this.#writes.droppedSlices;
  }
  get droppedPoints(): number {
    return this.#writes.droppedPoints;
  }
  /** True when `bytes` more would not fit. */
  full(bytes = 0): boolean {
    const used = this.#ledger.usedBytes;
    return used + bytes > this.#capacityBytes && used > 0;
  }

  /** Resolves when there is room for `bytes` more (immediately when the policy is not "wait"). */
  async waitForSpace(bytes = 0): Promise<void> {
    await this.open();
    await this.#space.wait(
      () => this.overflow === "wait" && this.full(bytes),
      () => this.#emit({ type: "full", usedBytes: this.#ledger.usedBytes, capacityBytes: this.#capacityBytes }),
    );
  }

  #released(): void {
    this.#space.wake();
    this.#emit({ type: "space" });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Pending and quarantined slices (metadata only), optionally of one stream, in the order they were put. */
  slices(dataId?: string): SliceMeta[] {
    return dataId === undefined ? [...this.#index.oldestFirst()] : this.#index.ofStream(dataId);
  }

  /** Slices found damaged and set aside (kept in storage, not pending, never acknowledged), optionally of one stream. */
  corruptSlices(dataId?: string): CorruptSlice[] {
    const all = [...this.#corrupt.values()];
    return dataId === undefined ? all : all.filter((c) => c.dataId === dataId);
  }

  /** One stream's pending, quarantined and corrupt slices counted, without a record per slice. */
  summary(dataId: string): OutboxSummary {
    return this.#ledger.summary(dataId, this.corruptSlices(dataId).length);
  }

  /** How many slices of this stream wait to be sent (quarantined ones excepted). O(1). */
  pendingCount(dataId: string): number {
    return this.#ledger.pendingCount(dataId);
  }

  /** The slices in put order (metadata, read-only), for the uploader's scheduling. */
  get order(): PendingOrder {
    return this.#index;
  }

  get(key: SliceKey): SliceMeta | undefined {
    return this.#index.get(key);
  }

  /**
   * Store slices durably (superseding older versions of their keys), optionally with stream states in
   * the same write. Applies the overflow policy: "error" throws OutboxFullError before storing anything;
   * "drop-oldest" evicts the oldest pending slices of other keys first. Returns the stored metadata.
   */
  put(slices: NewSlice[], streams: StreamState[] = []): Promise<SliceMeta[]> {
    return this.#serial(async () => {
      await this.open();
      return this.#writes.put(slices, streams);
    });
  }

  /**
   * The slice's points at its current version.
   *
   * - Resolves the slice (if another writer sharing the store put a newer version, that one).
   * - Resolves `undefined` only when that version is legitimately no longer pending: acknowledged or
   *   superseded meanwhile, or (in a store shared by tabs) acknowledged by another writer.
   * - Rejects with an {@link OutboxReadError} whose `transient` is true when the storage could not read
   *   it now (too many open files, a busy disk or database): it stays pending, read it again later.
   * - Rejects with a {@link CorruptSliceError} (`code === "corrupt"`) when the record is damaged, or
   *   gone while pending from a store nobody else writes: the slice is set aside (kept in storage,
   *   listed by `corruptSlices()`, a "corrupt" event), no longer pending, never acknowledged.
   */
  async read(key: SliceKey): Promise<StoredSlice | undefined> {
    await this.open();
    return this.#reads.read(key);
  }

  /**
   * `read` for several keys (one request's) with one storage read where the storage can (`readMany`:
   * IndexedDB reads them in one transaction). Settles per key as `read` would.
   */
  async readAll(keys: SliceKey[]): Promise<Array<PromiseSettledResult<StoredSlice | undefined>>> {
    await this.open();
    return this.#reads.readAll(keys, (k) => this.read(k));
  }

  /**
   * Claim slices for sending: another uploader sharing this outbox gets none of them until released.
   * The keys are claimed in this process at once (before the promise resolves); then `claimShared`
   * claims them where other writers sharing the store can see it (IndexedDB: Web Locks). Keys claimed
   * by someone else are left out of `claimed`. A claimed slice is never evicted by "drop-oldest".
   */
  claim(metas: SliceMeta[]): Promise<Claim> {
    return this.#claims.claim(metas, (mine) => this.claimShared(mine));
  }

  /**
   * Claim keys already claimed in this process where other writers sharing the store see it; returns
   * those claimed (a subset of `metas`, the same objects). Stores only this process writes claim all.
   */
  protected claimShared(metas: SliceMeta[]): Promise<Claim> {
    return Promise.resolve({ claimed: metas, release: () => {} });
  }

  isClaimed(key: SliceKey): boolean {
    return this.#ledger.isClaimed(key);
  }

  claimedCount(dataId?: string): number {
    return this.#ledger.claimedCount(dataId);
  }

  /** Storage usage, quota and persistence where the platform reports them (browsers). */
  storageInfo(): StorageInfo | undefined {
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
    return this.#serial(() => this.#writes.ackAll(acks));
  }

  /** Remove slices whatever their version (finalize with force, or a user discarding quarantined data). */
  remove(keys: SliceKey[]): Promise<SliceMeta[]> {
    return this.#serial(() => this.#writes.remove(keys));
  }

  /** Keep this version aside with the server's reason: never retried, never silently deleted. */
  quarantine(key: SliceKey, version: number, info: QuarantineInfo): Promise<SliceMeta | undefined> {
    return this.#serial(() => this.#writes.quarantine(key, version, info));
  }

  getStream(dataId: string): StreamState | undefined {
    return this.#streams.get(dataId);
  }

  streams(): StreamState[] {
    return this.#streams.all();
  }

  /** Record a stream's state (whole: fields this version does not know are kept). Prunes old finalized streams at most hourly. */
  putStream(state: StreamState): Promise<void> {
    return this.#serial(async () => {
      await this.open();
      await this.#streams.write(state);
      this.#emit({ type: "change" });
    });
  }

  async close(): Promise<void> {
    this.#claims.close();
    await this.#queue;
    await this.storage.close();
  }
}
