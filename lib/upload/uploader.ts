/**
 * The uploader drains the outbox (design §2, §3): a bounded window of requests in flight, never two
 * versions of one key in flight — also across timeouts and lost connections (a key whose request's fate
 * is unknown is held in doubt) — slices sharing (dataId, chunkIndex) sent as one chunk/multi request,
 * split when it keeps failing, live data before backlog (the choice is schedule.ts's), retries
 * classified by ApiError (failures.ts), queued initializes first, and for `closing` streams: verify (read
 * back, compare, re-send), then finalize (stream-tasks.ts).
 *
 * "In flight" is one notion: the outbox's claim. A request's slices are claimed when they are picked
 * (`Outbox.claim`, which also keeps them from "drop-oldest" and from other tabs), read in one batch
 * (`readAll`), and released once the request settled, on every path (request.ts runs a request of slices).
 */
import type { SliceMeta } from "../outbox/outbox.js";
import { Failures } from "./failures.js";
import type { VerifyRecord } from "./finalize.js";
import { Holds } from "./holds.js";
import { SliceRequests, type SliceTask } from "./request.js";
import { RetainedSlices } from "./retained.js";
import { Schedule } from "./schedule.js";
import { StreamTasks, type StreamTask } from "./stream-tasks.js";
import { platformId, type UploaderOptions, type UploaderState } from "./uploader-options.js";

export { platformId } from "./uploader-options.js";
export type { UploaderEvents, UploaderOptions, UploaderState } from "./uploader-options.js";

type Task = SliceTask | StreamTask;

export class Uploader {
  readonly #o: UploaderOptions;
  /** What to send next (freshness first, chunk groups); its `solo` keys travel alone. */
  readonly #schedule: Schedule;
  /** Keys left alone for a while: in doubt after a lost request, held by another uploader, unreadable for now, backing off. */
  readonly #holds = new Holds(() => this.kick());
  readonly #retained: RetainedSlices;
  /** Requests of slices: claim, read, send, ack (request.ts). */
  readonly #requests: SliceRequests;
  /** Initialize, verify and finalize of whole streams (stream-tasks.ts). */
  readonly #streams: StreamTasks;
  /** Failures classified: auth pause, transient backoff (the gate), quarantine (failures.ts). */
  readonly #failures: Failures;
  #active = 0;
  #gateTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #scheduled = false;
  #state: UploaderState = "idle";
  #unsubscribe: () => void;

  constructor(options: UploaderOptions) {
    this.#o = options;
    this.#schedule = new Schedule(options.maxRequestBytes);
    this.#retained = new RetainedSlices(options.verify ? (options.retainBytes ?? 32 * 1024 * 1024) : 0);
    this.#failures = new Failures({
      outbox: options.outbox,
      retry: options.retry,
      random: options.random,
      events: options.events,
      solo: this.#schedule.solo,
      hold: (keys, ms) => this.#holds.hold(keys, ms),
      setState: (state) => this.#setState(state),
    });
    this.#requests = new SliceRequests({
      outbox: options.outbox,
      inDoubtMs: options.inDoubtMs,
      splitAfter: options.splitAfter ?? 3,
      retry: options.retry,
      random: options.random,
      solo: this.#schedule.solo,
      retained: this.#retained,
      hold: (keys, ms) => this.#holds.hold(keys, ms),
      unreadable: (error, dataId, metas) => this.#failures.unreadable(error, dataId, metas),
      succeeded: () => this.#failures.succeeded(),
      acked: (dataId, slices) => this.#o.events.acked(dataId, slices),
      failed: (error, dataId, slices) => this.#failures.failed(error, dataId, slices),
    });
    this.#streams = new StreamTasks({
      options,
      retained: this.#retained,
      inFlight: (dataId) => this.inFlight(dataId),
      succeeded: () => this.#failures.succeeded(),
      failed: (error, dataId) => this.#failures.failed(error, dataId, []),
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
    return this.#streams.busy(dataId);
  }

  /** Keys of a stream held in doubt right now (their last request's fate is unknown). */
  inDoubt(dataId: string): number {
    return this.#holds.count(`${dataId}\u0000`);
  }

  retries(dataId: string): number {
    return this.#failures.retries(dataId);
  }

  /** How the verification of a stream went so far (undefined: not verified yet). */
  verification(dataId: string): VerifyRecord | undefined {
    return this.#streams.verification(dataId);
  }

  /**
   * An initialize request already travelling (started by `initialize()`, which stopped waiting for it):
   * no second one is sent for this stream until it settles, so a slow answer does not create two streams.
   */
  adoptInitialize(dataId: string, travelling: Promise<unknown>): void {
    this.#streams.adoptInitialize(dataId, travelling, () => {
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
    this.#failures.reset();
    this.#setState(this.#active > 0 ? "sending" : "idle");
    this.kick();
  }

  /** Retry now instead of waiting out the backoff (e.g. the browser says it is online again). Keys in doubt stay held. */
  retryNow(): void {
    this.#failures.gateUntil = 0;
    if (this.#gateTimer) clearTimeout(this.#gateTimer);
    this.#gateTimer = undefined;
    this.#streams.retryVerifications();
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
    const failures = this.#failures;
    if (this.#closed || failures.paused) return;
    const wait = failures.gateUntil - Date.now();
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
      this.#setState(failures.inARow > 0 ? "retrying" : "sending");
      void this.#run(task).finally(() => {
        this.#active--;
        if (this.#active === 0 && !failures.paused && failures.inARow === 0) this.#setState("idle");
        this.#o.events.settled();
        this.kick();
      });
    }
  }

  #pick(): Task | undefined {
    const { outbox } = this.#o;
    // A queued initialize (or its sample link and tags) first; a closing stream with nothing left to send is verified and finalized.
    const streamTask = this.#streams.pick(outbox);
    if (streamTask) return streamTask;
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

  async #run(task: Task): Promise<void> {
    if (task.kind !== "slices") return this.#streams.run(task);
    const state = this.#o.outbox.getStream(task.dataId);
    const client = this.#o.clientFor(state);
    const id = platformId(state, task.dataId)!;
    return this.#requests.send(task, client, id);
  }
}
