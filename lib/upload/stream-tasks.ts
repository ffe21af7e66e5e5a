/**
 * The uploader's work on whole streams: a queued initialize (sent before the stream's slices), and for a
 * `closing` stream whose slices are all acked, verify (read back, compare, re-send) then finalize. One
 * task per stream at a time; an initialize already travelling (adopted from `initialize()`) counts as one.
 */
import type { Outbox, StreamState } from "../outbox/outbox.js";
import { verifyThenFinalize, type VerifyRecord } from "./finalize.js";
import type { RetainedSlices } from "./retained.js";
import { platformId, type UploaderOptions } from "./uploader-options.js";

export type StreamTask = { kind: "finalize"; state: StreamState } | { kind: "initialize"; state: StreamState };

export interface StreamTasksOptions {
  options: UploaderOptions;
  retained: RetainedSlices;
  /** Slices of this stream claimed for sending. */
  inFlight(dataId: string): number;
  /** A task went through (the failures in a row end). */
  succeeded(): void;
  /** A task failed: classified and reported like a request's failure. */
  failed(error: unknown, dataId: string): Promise<void>;
}

export class StreamTasks {
  readonly #o: StreamTasksOptions;
  readonly #finalizing = new Set<string>();
  readonly #initializing = new Set<string>();
  readonly #verify = new Map<string, VerifyRecord>();

  constructor(options: StreamTasksOptions) {
    this.#o = options;
  }

  /** True while the stream's initialize or finalize is running here. */
  busy(dataId: string): boolean {
    return this.#finalizing.has(dataId) || this.#initializing.has(dataId);
  }

  /** How the verification of a stream went so far (undefined: not verified yet). */
  verification(dataId: string): VerifyRecord | undefined {
    return this.#verify.get(dataId);
  }

  /** A verification that gave up gets a fresh set of rounds. */
  retryVerifications(): void {
    for (const v of this.#verify.values()) {
      if (v.gaveUp === undefined) continue;
      v.gaveUp = undefined;
      v.rounds = 0;
    }
  }

  /** An initialize already travelling: no second one is sent for this stream until it settles (then `settled` runs). */
  adoptInitialize(dataId: string, travelling: Promise<unknown>, settled: () => void): void {
    this.#initializing.add(dataId);
    void travelling
      .catch(() => {})
      .finally(() => {
        this.#initializing.delete(dataId);
        settled();
      });
  }

  /** The next stream task, marked running: a queued initialize first, then a closing stream with nothing pending or in flight. */
  pick(outbox: Outbox): StreamTask | undefined {
    for (const state of outbox.streams()) {
      if (state.phase === "finalized" || !this.#o.options.ours(state) || this.busy(state.dataId)) continue;
      if (state.pendingInitialize && !state.initializeError) {
        this.#initializing.add(state.dataId);
        return { kind: "initialize", state };
      }
      if (state.phase !== "closing" || outbox.pendingCount(state.dataId) > 0 || this.#o.inFlight(state.dataId) > 0) continue;
      if (platformId(state, state.dataId) === undefined || this.#verify.get(state.dataId)?.gaveUp) continue;
      this.#finalizing.add(state.dataId);
      return { kind: "finalize", state };
    }
    return undefined;
  }

  run(task: StreamTask): Promise<void> {
    return task.kind === "initialize" ? this.#initialize(task.state) : this.#close(task.state);
  }

  async #initialize(state: StreamState): Promise<void> {
    try {
      await this.#o.options.initialize(state);
      this.#o.succeeded();
    } catch (error) {
      await this.#o.failed(error, state.dataId);
    } finally {
      this.#initializing.delete(state.dataId);
    }
  }

  async #close(state: StreamState): Promise<void> {
    const o = this.#o.options;
    try {
      const record = (this.#verify.get(state.dataId) ?? { rounds: 0, resent: 0, differing: [] }) as VerifyRecord;
      this.#verify.set(state.dataId, record);
      const done = await verifyThenFinalize({
        state,
        client: o.clientFor(state),
        outbox: o.outbox,
        verify: o.verify,
        attempts: o.verifyAttempts ?? 3,
        record,
        retained: this.#o.retained.of(state.dataId),
      });
      if (record.rounds > 0) o.events.verified(state.dataId, record);
      this.#o.succeeded();
      if (done) {
        this.#o.retained.drop(state.dataId);
        if (done.finalizeError) o.events.failed(new Error(done.finalizeError.message), { dataId: state.dataId, slices: [], classification: "permanent" });
        o.events.finalized(done);
      }
    } catch (error) {
      await this.#o.failed(error, state.dataId);
    } finally {
      this.#finalizing.delete(state.dataId);
    }
  }
}
