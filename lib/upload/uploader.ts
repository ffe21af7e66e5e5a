/**
 * The uploader drains the outbox (design §2, §3): a bounded window of requests in flight, never two
 * versions of one key in flight, slices sharing (dataId, chunkIndex) sent as one chunk/multi request,
 * live data before backlog (newest and oldest picked in turn), retries classified by ApiError, and the
 * deferred finalize of `closing` streams once their slices are acked.
 */
import { ApiError, type ErrorClassification } from "../api/errors.js";
import type { AtomscaleClient } from "../api/client.js";
import { keyString } from "../types.js";
import type { BaseOutbox, QuarantineInfo, SliceMeta, StoredSlice, StreamState } from "../outbox/outbox.js";
import { retryDelay, type RetryOptions } from "./retry.js";

export type UploaderState = "idle" | "sending" | "retrying" | "auth-paused" | "closed";

export interface UploaderEvents {
  acked(dataId: string, slices: SliceMeta[]): void;
  failed(error: Error, info: { dataId?: string | undefined; slices: SliceMeta[]; classification: ErrorClassification; retryInMs?: number | undefined }): void;
  quarantined(dataId: string, slices: SliceMeta[]): void;
  finalized(state: StreamState): void;
  state(state: UploaderState): void;
  /** Something finished: waiters re-check their condition. */
  settled(): void;
}

export interface UploaderOptions {
  client: AtomscaleClient;
  outbox: BaseOutbox;
  /** Requests in flight at once. @default 4 */
  concurrency: number;
  retry: Required<RetryOptions>;
  /** Largest request body to build, in estimated bytes; bigger groups are split. @default 4 MiB */
  maxRequestBytes?: number;
  events: UploaderEvents;
  random?: () => number;
}

type Task = { kind: "slices"; dataId: string; chunkIndex: number; metas: SliceMeta[] } | { kind: "finalize"; state: StreamState };

export class Uploader {
  readonly #o: UploaderOptions;
  readonly #inFlight = new Map<string, SliceMeta>();
  readonly #finalizing = new Set<string>();
  /** Keys to send alone: a multi request they were in was refused, so each gets its own verdict. */
  readonly #solo = new Set<string>();
  readonly #retries = new Map<string, number>();
  /** Keys another uploader sharing the store is sending: left alone until the time given. */
  readonly #elsewhere = new Map<string, number>();
  #elsewhereTimer: ReturnType<typeof setTimeout> | undefined;
  #active = 0;
  #failures = 0;
  #gateUntil = 0;
  #gateTimer: ReturnType<typeof setTimeout> | undefined;
  #paused = false;
  #closed = false;
  #scheduled = false;
  #newestNext = true;
  #state: UploaderState = "idle";
  #unsubscribe: () => void;

  constructor(options: UploaderOptions) {
    this.#o = options;
    this.#unsubscribe = options.outbox.on((e) => {
      if (e.type === "change") this.kick();
    });
  }

  get state(): UploaderState {
    return this.#state;
  }

  /** Slices in flight, of one stream or all. */
  inFlight(dataId?: string): number {
    if (dataId === undefined) return this.#inFlight.size;
    let n = 0;
    for (const m of this.#inFlight.values()) if (m.dataId === dataId) n++;
    return n;
  }

  isInFlight(meta: SliceMeta): boolean {
    return this.#inFlight.has(keyString(meta));
  }

  isFinalizing(dataId: string): boolean {
    return this.#finalizing.has(dataId);
  }

  retries(dataId: string): number {
    return this.#retries.get(dataId) ?? 0;
  }

  /** Look for work soon (coalesced). */
  kick(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  /** After a new API key: uploads resume. */
  resume(): void {
    this.#paused = false;
    this.#failures = 0;
    this.#gateUntil = 0;
    this.#setState(this.#active > 0 ? "sending" : "idle");
    this.kick();
  }

  /** Retry now instead of waiting out the backoff (e.g. the browser says it is online again). */
  retryNow(): void {
    this.#gateUntil = 0;
    if (this.#gateTimer) clearTimeout(this.#gateTimer);
    this.#gateTimer = undefined;
    this.kick();
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    if (this.#gateTimer) clearTimeout(this.#gateTimer);
    if (this.#elsewhereTimer) clearTimeout(this.#elsewhereTimer);
    this.#setState("closed");
  }

  #setState(state: UploaderState): void {
    if (this.#state === state || (this.#state === "closed" && state !== "closed")) return;
    this.#state = state;
    this.#o.events.state(state);
  }

  #pump(): void {
    if (this.#closed || this.#paused) return;
    const wait = this.#gateUntil - Date.now();
    if (wait > 0) {
      this.#gateTimer ??= setTimeout(() => {
        this.#gateTimer = undefined;
        this.#pump();
      }, wait);
      return;
    }
    while (this.#active < this.#o.concurrency) {
      const task = this.#pick();
      if (!task) break;
      this.#active++;
      this.#setState(this.#failures > 0 ? "retrying" : "sending");
      void this.#run(task).finally(() => {
        this.#active--;
        if (this.#active === 0 && !this.#paused && this.#failures === 0) this.#setState("idle");
        this.#o.events.settled();
        this.kick();
      });
    }
  }

  #ours(state: StreamState | undefined): boolean {
    return state === undefined || state.endpoint === this.#o.client.endpoint;
  }

  #pick(): Task | undefined {
    const { outbox } = this.#o;
    // Finalize a closing stream once nothing of it is pending or in flight.
    for (const state of outbox.streams()) {
      if (state.phase !== "closing" || !this.#ours(state) || this.#finalizing.has(state.dataId) || outbox.pendingCount(state.dataId) > 0) continue;
      return { kind: "finalize", state };
    }
    // Freshness first, backfill behind: the chunk of the newest sendable slice and that of the oldest, in
    // turn. Scans stop at the first sendable slice from either end, so a backlog costs nothing per pick.
    const now = Date.now();
    const sendable = (k: string, m: SliceMeta): boolean => {
      if (m.quarantined || this.#inFlight.has(k)) return false;
      const until = this.#elsewhere.get(k);
      if (until !== undefined) {
        if (until > now) return false;
        this.#elsewhere.delete(k);
      }
      const state = outbox.getStream(m.dataId);
      return this.#ours(state) && state?.phase !== "finalized";
    };
    let first: [string, SliceMeta] | undefined;
    for (const entry of this.#newestNext ? outbox.newestFirst() : outbox.index.entries()) {
      if (sendable(entry[0], entry[1])) {
        first = entry;
        break;
      }
    }
    if (!first) return undefined;
    this.#newestNext = !this.#newestNext;
    // Slices sharing (dataId, chunkIndex) travel in one request, in put order; a key refused in a
    // multi request travels alone.
    const [key, found] = first;
    const chosen = this.#solo.has(key)
      ? [found]
      : outbox.chunk(found.dataId, found.chunkIndex).filter((m) => {
          const k = keyString(m);
          return !this.#solo.has(k) && sendable(k, m);
        });
    const limit = this.#o.maxRequestBytes ?? 4 * 1024 * 1024;
    const metas: SliceMeta[] = [];
    let bytes = 0;
    for (const m of chosen) {
      if (metas.length > 0 && bytes + m.bytes > limit) break;
      metas.push(m);
      bytes += m.bytes;
    }
    for (const m of metas) this.#inFlight.set(keyString(m), m);
    return { kind: "slices", dataId: metas[0]!.dataId, chunkIndex: metas[0]!.chunkIndex, metas };
  }

  async #run(task: Task): Promise<void> {
    if (task.kind === "finalize") return this.#finalize(task.state);
    const { client, outbox } = this.#o;
    let sent: StoredSlice[] = [];
    outbox.markSending(task.metas, true);
    const { locked, release } = await outbox.lockForSend(task.metas);
    if (locked.length < task.metas.length) this.#setAside(task.metas.filter((m) => !locked.includes(m)));
    try {
      const read = await Promise.all(locked.map((meta) => outbox.read(meta)));
      locked.forEach((meta, i) => {
        const stored = read[i];
        if (stored && !stored.quarantined) {
          sent.push(stored);
          this.#inFlight.set(keyString(stored), stored); // the version actually sent
        } else this.#inFlight.delete(keyString(meta));
      });
      if (sent.length === 0) return;
      if (sent.length === 1) {
        const s = sent[0]!;
        await client.ingestChunk({ dataId: s.dataId, chunkIndex: s.chunkIndex, channelName: s.channel, timestamps: s.timestamps, values: s.values, units: s.units });
      } else {
        const channels: Record<string, { timestamps: number[]; values: number[]; units?: string | undefined }> = {};
        for (const s of sent) channels[s.channel] = { timestamps: s.timestamps, values: s.values, units: s.units };
        await client.ingestChunkMulti({ dataId: task.dataId, chunkIndex: task.chunkIndex, channels });
      }
      this.#failures = 0;
      for (const s of sent) this.#solo.delete(keyString(s));
      // One delete for the whole request; a key whose newer version arrived meanwhile stays pending.
      await outbox.ackAll(sent);
      this.#o.events.acked(task.dataId, sent.map(meta));
    } catch (error) {
      await this.#failed(error, task.dataId, sent.map(meta));
    } finally {
      release();
      outbox.markSending(task.metas, false);
      for (const s of task.metas) this.#inFlight.delete(keyString(s));
      sent = [];
    }
  }

  /** Keys another uploader holds: try them again in a second (it will most likely have sent them). */
  #setAside(metas: SliceMeta[]): void {
    const until = Date.now() + 1000;
    for (const m of metas) this.#elsewhere.set(keyString(m), until);
    this.#elsewhereTimer ??= setTimeout(() => {
      this.#elsewhereTimer = undefined;
      this.kick();
    }, 1000);
  }

  async #failed(error: unknown, dataId: string, slices: SliceMeta[]): Promise<void> {
    const classification: ErrorClassification = error instanceof ApiError ? error.classification : "transient";
    const err = error instanceof Error ? error : new Error(String(error));
    if (classification === "auth") {
      this.#paused = true;
      this.#setState("auth-paused");
      this.#o.events.failed(err, { dataId, slices, classification });
      return;
    }
    if (classification === "transient") {
      this.#failures++;
      this.#retries.set(dataId, (this.#retries.get(dataId) ?? 0) + 1);
      const delay = retryDelay(error instanceof ApiError ? error : undefined, this.#failures, this.#o.retry, this.#o.random);
      this.#gateUntil = Math.max(this.#gateUntil, Date.now() + delay);
      this.#setState("retrying");
      this.#o.events.failed(err, { dataId, slices, classification, retryInMs: delay });
      return;
    }
    // Permanent: a refused multi request is split so each slice gets its own verdict.
    this.#failures = 0;
    if (slices.length > 1) {
      for (const s of slices) this.#solo.add(keyString(s));
      this.#o.events.failed(err, { dataId, slices, classification });
      return;
    }
    const info: QuarantineInfo = {
      status: err instanceof ApiError ? err.status : undefined,
      code: err instanceof ApiError ? err.code : "error",
      detail: err instanceof ApiError ? err.detail : undefined,
      message: err.message,
      at: Date.now(),
    };
    const quarantined: SliceMeta[] = [];
    for (const s of slices) {
      this.#solo.delete(keyString(s));
      const q = await this.#o.outbox.quarantine(s, s.version, info);
      if (q) quarantined.push(q);
    }
    this.#o.events.failed(err, { dataId, slices, classification });
    if (quarantined.length > 0) this.#o.events.quarantined(dataId, quarantined);
  }

  async #finalize(state: StreamState): Promise<void> {
    this.#finalizing.add(state.dataId);
    try {
      await this.#o.client.finalizeStream(state.dataId);
      this.#failures = 0;
      const done: StreamState = { ...state, phase: "finalized", updatedAt: Date.now() };
      await this.#o.outbox.putStream(done);
      this.#o.events.finalized(done);
    } catch (error) {
      if (error instanceof ApiError && error.classification === "permanent") {
        // The server will never take this finalize (e.g. it does not know the stream): record why, stop trying.
        const info: QuarantineInfo = { status: error.status, code: error.code, detail: error.detail, message: error.message, at: Date.now() };
        const failed: StreamState = { ...state, phase: "finalized", finalizeError: info, updatedAt: Date.now() };
        await this.#o.outbox.putStream(failed);
        this.#o.events.failed(error, { dataId: state.dataId, slices: [], classification: "permanent" });
        this.#o.events.finalized(failed);
      } else {
        await this.#failed(error, state.dataId, []);
      }
    } finally {
      this.#finalizing.delete(state.dataId);
    }
  }
}

function meta(s: StoredSlice): SliceMeta {
  const { timestamps: _t, values: _v, units: _u, ...m } = s;
  return m;
}
