/**
 * What the uploader does with a failure, classified once (design §3.2): authentication pauses uploads
 * (the data waits for a new key); a transient failure closes the gate for a full-jitter backoff (Retry-After
 * honoured) and counts a retry; a permanent one splits a multi request so each slice gets its own verdict,
 * then quarantines the slice (kept, reported). Slices the storage could not read are held for a backoff.
 */
import { ApiError, type ErrorClassification } from "../api/errors.js";
import type { Outbox, QuarantineInfo, SliceMeta } from "../outbox/outbox.js";
import { keyString } from "../types.js";
import { retryDelay, type RetryOptions } from "./retry.js";
import type { UploaderEvents, UploaderState } from "./uploader-options.js";

export interface FailuresOptions {
  outbox: Outbox;
  retry: Required<RetryOptions>;
  random?: (() => number) | undefined;
  events: UploaderEvents;
  /** The schedule's keys that travel alone. */
  solo: Set<string>;
  /** Leave keys alone for `ms`. */
  hold(keys: string[], ms: number): void;
  setState(state: UploaderState): void;
}

export class Failures {
  readonly #o: FailuresOptions;
  readonly #retries = new Map<string, number>();
  /** Failures in a row (the backoff's exponent). */
  inARow = 0;
  /** No request starts before this time (ms epoch): the backoff after a transient failure. */
  gateUntil = 0;
  /** Uploads wait for a new API key. */
  paused = false;

  constructor(options: FailuresOptions) {
    this.#o = options;
  }

  /** Transient failures counted for a stream. */
  retries(dataId: string): number {
    return this.#retries.get(dataId) ?? 0;
  }

  /** Something went through: the failures in a row end. */
  succeeded(): void {
    this.inARow = 0;
  }

  /** Uploads resume (a new API key) or retry now: the gate opens. */
  reset(): void {
    this.paused = false;
    this.inARow = 0;
    this.gateUntil = 0;
  }

  /** Slices the storage could not read just now: retried after a backoff, reported as transient errors. */
  unreadable(error: unknown, dataId: string, metas: SliceMeta[]): void {
    this.inARow++;
    const delay = retryDelay(undefined, this.inARow, this.#o.retry, this.#o.random);
    this.#o.hold(metas.map(keyString), delay);
    // The storage's own error (OutboxReadError: code, transient, key, cause) is what the caller sees.
    const err =
      error instanceof Error
        ? error
        : new Error(`The outbox could not read ${metas.length} pending slice(s) of ${dataId} (${String(error)}); they stay pending and are retried.`);
    this.#o.events.failed(err, { dataId, slices: metas, classification: "transient", retryInMs: delay });
  }

  /** A request (or a stream task) failed. */
  async failed(error: unknown, dataId: string, slices: SliceMeta[]): Promise<void> {
    const classification: ErrorClassification = error instanceof ApiError ? error.classification : "transient";
    const err = error instanceof Error ? error : new Error(String(error));
    const { events } = this.#o;
    if (classification === "auth") {
      this.paused = true;
      this.#o.setState("auth-paused");
      events.failed(err, { dataId, slices, classification });
      return;
    }
    if (classification === "transient") {
      this.inARow++;
      this.#retries.set(dataId, (this.#retries.get(dataId) ?? 0) + 1);
      const delay = retryDelay(error instanceof ApiError ? error : undefined, this.inARow, this.#o.retry, this.#o.random);
      this.gateUntil = Math.max(this.gateUntil, Date.now() + delay);
      this.#o.setState("retrying");
      events.failed(err, { dataId, slices, classification, retryInMs: delay });
      return;
    }
    // Permanent: a refused multi request is split so each slice gets its own verdict.
    this.inARow = 0;
    if (slices.length > 1) {
      for (const s of slices) this.#o.solo.add(keyString(s));
      events.failed(err, { dataId, slices, classification });
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
      this.#o.solo.delete(keyString(s));
      const q = await this.#o.outbox.quarantine(s, s.version, info);
      if (q) quarantined.push(q);
    }
    events.failed(err, { dataId, slices, classification });
    if (quarantined.length > 0) events.quarantined(dataId, quarantined);
  }
}
