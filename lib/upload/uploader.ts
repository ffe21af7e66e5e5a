/**
 * The uploader drains the outbox (design §2, §3): a bounded window of requests in flight, never two
 * versions of one key in flight — also across timeouts and lost connections (a key whose request's fate
 * is unknown is held in doubt) — slices sharing (dataId, chunkIndex) sent as one chunk/multi request,
 * split when it keeps failing, live data before backlog (the choice is schedule.ts's), retries
 * classified by ApiError, queued initializes first, and for `closing` streams: verify (read back,
 * compare, re-send), then finalize.
 *
 * "In flight" is one notion: the outbox's claim. A request's slices are claimed when they are picked
 * (`Outbox.claim`, which also keeps them from "drop-oldest" and from other tabs), read in one batch
 * (`readAll`), and released once the request settled, on every path (request.ts runs a request of slices).
 */
import { ApiError, type ErrorClassification } from "../api/errors.js";
import type { AtomscaleClient } from "../api/client.js";
import { keyString } from "../types.js";
import type { Outbox, QuarantineInfo, SliceMeta, StreamState } from "../outbox/outbox.js";
import { retryDelay, type RetryOptions } from "./retry.js";
import { Holds } from "./holds.js";
import { Schedule } from "./schedule.js";
import { RetainedSlices } from "./retained.js";
import { verifyThenFinalize, type VerifyRecord } from "./finalize.js";
import { SliceRequests, type SliceTask } from "./request.js";

export type UploaderState = "idle" | "sending" | "retrying" | "auth-paused" | "closed";

export interface UploaderEvents {
  acked(dataId: string, slices: SliceMeta[]): void;
  failed(error: Error, info: { dataId?: string | undefined; slices: SliceMeta[]; classification: ErrorClassification; retryInMs?: number | undefined }): void;
  quarantined(dataId: string, slices: SliceMeta[]): void;
  finalized(state: StreamState): void;
  /** A read-back was compared with what was sent (`record` says how it went). */
  verified(dataId: string, record: VerifyRecord): void;
  state(state: UploaderState): void;
  /** Something finished: waiters re-check their condition. */
  settled(): void;
}

export interface UploaderOptions {
  /** The client a stream's requests go through (its endpoint, its path prefix). */
  clientFor(state: StreamState | undefined): AtomscaleClient;
  outbox: Outbox;
  /** Requests in flight at once. @default 4 */
  concurrency: number;
  retry: Required<RetryOptions>;
  /** Largest request body to build, in estimated bytes; bigger groups are split. @default 4 MiB */
  maxRequestBytes?: number;
  /** How long a key whose request's fate is unknown (timeout, lost connection) is held before it is sent again. */
  inDoubtMs: number;
  /** Read each closed stream back and compare before finalizing. */
  verify: boolean;
  /** Verify rounds (read back, re-send) before a persistent difference is reported. @default 3 */
  verifyAttempts?: number;
  /** Bytes of acked slices kept in memory for re-sending what a verify finds missing. @default 32 MiB */
  retainBytes?: number;
  /** A multi request failing transiently this many times in a row is split per channel. @default 3 */
  splitAfter?: number;
  /** Whether a stream belongs to this uploader's endpoint (others are left alone, and reported by the streamer). */
  ours(state: StreamState | undefined): boolean;
  /** Send a stream's queued initialize (and its sample link and tags); throws ApiErrors to retry. */
  initialize(state: StreamState): Promise<void>;
  events: UploaderEvents;
  random?: () => number;
}

type Task =
  | SliceTask
  | { kind: "finalize"; state: StreamState }
  | { kind: "initialize"; state: StreamState };

/** The id a stream's requests use: the platform's, once known (undefined while its initialize is queued). */
export function platformId(state: StreamState | undefined, dataId: string): string | undefined {
  if (!state) return dataId;
  if (state.platformDataId !== undefined) return state.platformDataId;
  return state.pendingInitialize && !state.pendingInitialize.created ? undefined : state.dataId;
}

export class Uploader {
  readonly #o: UploaderOptions;
  readonly #finalizing = new Set<string>();
  readonly #initializing = new Set<string>();
  /** What to send next (freshness first, chunk groups); its `solo` keys travel alone. */
  readonly #schedule: Schedule;
  readonly #solo: Set<string>;
  readonly #retries = new Map<string, number>();
  /** Keys left alone for a while: in doubt after a lost request, held by another uploader, unreadable for now, backing off. */
  readonly #holds = new Holds(() => this.kick());
  readonly #retained: RetainedSlices;
  /** Requests of slices: claim, read, send, ack (request.ts). */
  readonly #requests: SliceRequests;
  readonly #verify = new Map<string, VerifyRecord>();
  #active = 0;
  #failures = 0;
  #gateUntil = 0;
  #gateTimer: ReturnType<typeof setTimeout> | undefined;
  #paused = false;
  #closed = false;
  #scheduled = false;
  #state: UploaderState = "idle";
  #unsubscribe: () => void;

  constructor(options: UploaderOptions) {
    this.#o = options;
    this.#schedule = new Schedule(options.maxRequestBytes);
    this.#solo = this.#schedule.solo;
    this.#retained = new RetainedSlices(options.verify ? (options.retainBytes ?? 32 * 1024 * 1024) : 0);
    this.#requests = new SliceRequests({
      outbox: options.outbox,
      inDoubtMs: options.inDoubtMs,
      splitAfter: options.splitAfter ?? 3,
      retry: options.retry,
      random: options.random,
      solo: this.#solo,
      retained: this.#retained,
      hold: (keys, ms) => this.#hold(keys, ms),
      unreadable: (error, dataId, metas) => this.#unreadable(error, dataId, metas),
      succeeded: () => {
        this.#failures = 0;
      },
      acked: (dataId, slices) => this.#o.events.acked(dataId, slices),
      failed: (error, dataId, slices) => this.#failed(error, dataId, slices),
    });
    this.#unsubscribe = options.outbox.on((e) => {
      if (e.type === "change") this.kick();
    });
  }

  get state(): UploaderState {
    return this.#state;
  }

  /** Slices in flight (claimed for sending in this process), of one stream or all. */
  inFlight(dataId?: string): number {
    return this.#o.outbox.claimedCount(dataId);
  }

  isInFlight(meta: SliceMeta): boolean {
    return this.#o.outbox.isClaimed(meta);
  }

  isFinalizing(dataId: string): boolean {
    return this.#finalizing.has(dataId) || this.#initializing.has(dataId);
  }

  /** Keys of a stream held in doubt right now (their last request's fate is unknown). */
  inDoubt(dataId: string): number {
    return this.#holds.count(`${dataId}\u0000`);
  }

  retries(dataId: string): number {
    return this.#retries.get(dataId) ?? 0;
  }

  /** How the verification of a stream went so far (undefined: not verified yet). */
  verification(dataId: string): VerifyRecord | undefined {
    return this.#verify.get(dataId);
  }

  /**
   * An initialize request already travelling (started by `initialize()`, which stopped waiting for it):
   * no second one is sent for this stream until it settles, so a slow answer does not create two streams.
   */
  adoptInitialize(dataId: string, travelling: Promise<unknown>): void {
    this.#initializing.add(dataId);
    void travelling
      .catch(() => {})
      .finally(() => {
        this.#initializing.delete(dataId);
        this.#o.events.settled();
        this.kick();
      });
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

  /** Retry now instead of waiting out the backoff (e.g. the browser says it is online again). Keys in doubt stay held. */
  retryNow(): void {
    this.#gateUntil = 0;
    if (this.#gateTimer) clearTimeout(this.#gateTimer);
    this.#gateTimer = undefined;
    // A verification that gave up gets a fresh set of rounds.
    for (const v of this.#verify.values()) {
      if (v.gaveUp === undefined) continue;
      v.gaveUp = undefined;
      v.rounds = 0;
    }
    this.kick();
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    if (this.#gateTimer) clearTimeout(this.#gateTimer);
    this.#holds.close();
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

  #hold(keys: string[], ms: number): void {
    this.#holds.hold(keys, ms);
  }

  #pick(): Task | undefined {
    const { outbox } = this.#o;
    for (const state of outbox.streams()) {
      if (state.phase === "finalized" || !this.#o.ours(state) || this.#initializing.has(state.dataId) || this.#finalizing.has(state.dataId)) continue;
      // A queued initialize (or its sample link and tags) goes first.
      if (state.pendingInitialize && !state.initializeError) return this.#claimInit(state);
      // Finalize (after verifying) a closing stream once nothing of it is pending or in flight.
      if (state.phase !== "closing" || outbox.pendingCount(state.dataId) > 0 || this.inFlight(state.dataId) > 0) continue;
      if (platformId(state, state.dataId) === undefined || this.#verify.get(state.dataId)?.gaveUp) continue;
      this.#finalizing.add(state.dataId);
      return { kind: "finalize", state };
    }
    // Freshness first, backfill behind (schedule.ts); the slices picked are claimed at once.
    const now = Date.now();
    const sendable = (k: string, m: SliceMeta): boolean => {
      if (m.quarantined || outbox.isClaimed(m) || this.#holds.held(k, now)) return false;
      const state = outbox.getStream(m.dataId);
      return this.#o.ours(state) && state?.phase !== "finalized" && platformId(state, m.dataId) !== undefined;
    };
    const next = this.#schedule.next(outbox.order, sendable);
    if (!next) return undefined;
    return { kind: "slices", ...next, claim: outbox.claim(next.metas) };
  }

  #claimInit(state: StreamState): Task {
    this.#initializing.add(state.dataId);
    return { kind: "initialize", state };
  }

  async #run(task: Task): Promise<void> {
    if (task.kind === "finalize") return this.#closeStream(task.state);
    if (task.kind === "initialize") return this.#initialize(task.state);
    const state = this.#o.outbox.getStream(task.dataId);
    const client = this.#o.clientFor(state);
    const id = platformId(state, task.dataId)!;
    return this.#requests.send(task, client, id);
  }

  /** Slices the storage could not read just now: retried after a backoff, reported as transient errors. */
  #unreadable(error: unknown, dataId: string, metas: SliceMeta[]): void {
    this.#failures++;
    const delay = retryDelay(undefined, this.#failures, this.#o.retry, this.#o.random);
    this.#hold(metas.map(keyString), delay);
    // The storage's own error (OutboxReadError: code, transient, key, cause) is what the caller sees.
    const err =
      error instanceof Error
        ? error
        : new Error(`The outbox could not read ${metas.length} pending slice(s) of ${dataId} (${String(error)}); they stay pending and are retried.`);
    this.#o.events.failed(err, { dataId, slices: metas, classification: "transient", retryInMs: delay });
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

  async #initialize(state: StreamState): Promise<void> {
    try {
      await this.#o.initialize(state);
      this.#failures = 0;
    } catch (error) {
      await this.#failed(error, state.dataId, []);
    } finally {
      this.#initializing.delete(state.dataId);
    }
  }

  async #closeStream(state: StreamState): Promise<void> {
    try {
      const record = (this.#verify.get(state.dataId) ?? { rounds: 0, resent: 0, differing: [] }) as VerifyRecord;
      this.#verify.set(state.dataId, record);
      const done = await verifyThenFinalize({
        state,
        client: this.#o.clientFor(state),
        outbox: this.#o.outbox,
        verify: this.#o.verify,
        attempts: this.#o.verifyAttempts ?? 3,
        record,
        retained: this.#retained.of(state.dataId),
      });
      if (record.rounds > 0) this.#o.events.verified(state.dataId, record);
      this.#failures = 0;
      if (done) {
        this.#retained.drop(state.dataId);
        if (done.finalizeError) this.#o.events.failed(new Error(done.finalizeError.message), { dataId: state.dataId, slices: [], classification: "permanent" });
        this.#o.events.finalized(done);
      }
    } catch (error) {
      await this.#failed(error, state.dataId, []);
    } finally {
      this.#finalizing.delete(state.dataId);
    }
  }
}
