/**
 * One request of slices (design §2, §3): wait for its claim, read what was claimed in one batch
 * (`readAll`), send it as one chunk or chunk/multi request, ack it in one delete, and release the claim
 * once the request settled, on every path. A request whose fate is unknown holds its keys in doubt; a
 * multi request that keeps failing transiently is split per channel (its strikes are counted here).
 */
import { ApiError } from "../api/errors.js";
import type { AtomscaleClient } from "../api/client.js";
import { keyString } from "../types.js";
import type { Claim, Outbox, SliceMeta, StoredSlice } from "../outbox/outbox.js";
import { retryDelay, type RetryOptions } from "./retry.js";
import type { RetainedSlices } from "./retained.js";

/** Slices sharing (dataId, chunkIndex), picked by the schedule and claimed at once. */
export interface SliceTask {
  kind: "slices";
  dataId: string;
  chunkIndex: number;
  metas: SliceMeta[];
  claim: Promise<Claim>;
}

export interface SliceRequestsOptions {
  outbox: Outbox;
  /** How long a key whose request's fate is unknown is held before it is sent again. */
  inDoubtMs: number;
  /** A multi request failing transiently this many times in a row is split per channel. */
  splitAfter: number;
  retry: Required<RetryOptions>;
  random?: (() => number) | undefined;
  /** The schedule's keys that travel alone. */
  solo: Set<string>;
  /** Acked slices kept for re-sending what a verify finds missing. */
  retained: RetainedSlices;
  /** Leave keys alone for `ms`. */
  hold(keys: string[], ms: number): void;
  /** Slices the storage could not read just now. */
  unreadable(error: unknown, dataId: string, metas: SliceMeta[]): void;
  /** A request went through (the failures in a row end). */
  succeeded(): void;
  acked(dataId: string, slices: SliceMeta[]): void;
  failed(error: unknown, dataId: string, slices: SliceMeta[]): Promise<void>;
}

/** Connection failures that prove the request never left this machine: safe to send again at once. */
const NEVER_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ConnectionRefused"]);

function neverSent(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 6; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && NEVER_SENT.has(e.code)) return true;
    if (e instanceof Error && /ECONNREFUSED|Connection refused/i.test(e.message)) return true;
  }
  return false;
}

/** The uploader's requests of slices: claim, read, send, ack. */
export class SliceRequests {
  readonly #o: SliceRequestsOptions;
  /** Transient failures in a row per key (multi requests): the poison-request split. */
  readonly #strikes = new Map<string, number>();

  constructor(options: SliceRequestsOptions) {
    this.#o = options;
  }

  /** Run one request of slices through `client`, for the stream's platform id `id`. */
  async send(task: SliceTask, client: AtomscaleClient, id: string): Promise<void> {
    const { outbox } = this.#o;
    let sent: StoredSlice[] = [];
    let claim: Claim;
    try {
      claim = await task.claim;
    } catch (error) {
      // The claim itself failed (it released what it had): the slices stay pending, tried again later.
      this.#o.unreadable(error, task.dataId, task.metas);
      return;
    }
    const { claimed } = claim;
    let inDoubt = false;
    if (claimed.length < task.metas.length) {
      const mine = new Set(claimed);
      this.#o.hold(task.metas.filter((m) => !mine.has(m)).map(keyString), 1000); // another uploader holds them
    }
    try {
      const read = claimed.length > 0 ? await outbox.readAll(claimed) : [];
      const unreadable: SliceMeta[] = [];
      let readError: unknown;
      claimed.forEach((meta, i) => {
        const r = read[i]!;
        if (r.status === "rejected") {
          // A damaged slice: the outbox set it aside as corrupt and reports it. Anything else is a storage
          // error to retry later — never an ack.
          if ((r.reason as { code?: unknown })?.code !== "corrupt") {
            unreadable.push(meta);
            readError = r.reason;
          }
          return;
        }
        const stored = r.value;
        if (stored && !stored.quarantined) sent.push(stored);
      });
      if (unreadable.length > 0) this.#o.unreadable(readError, task.dataId, unreadable);
      if (sent.length === 0) return;
      if (sent.length === 1) {
        const s = sent[0]!;
        await client.ingestChunk({ dataId: id, chunkIndex: s.chunkIndex, channelName: s.channel, timestamps: s.timestamps, values: s.values, units: s.units });
      } else {
        // Any channel name is a plain key of a Map (`__proto__`, `constructor` …); a stored slice is its own points.
        const channels = new Map<string, StoredSlice>();
        for (const s of sent) channels.set(s.channel, s);
        await client.ingestChunkMulti({ dataId: id, chunkIndex: task.chunkIndex, channels });
      }
      this.#o.succeeded();
      const { solo, retained } = this.#o;
      const strikes = this.#strikes;
      for (const s of sent) {
        const k = keyString(s); // once a slice: the sets below are empty unless requests failed
        if (solo.size > 0) solo.delete(k);
        if (strikes.size > 0) strikes.delete(k);
        retained.add(s, k);
      }
      // One delete for the whole request; a key whose newer version arrived meanwhile stays pending.
      await outbox.ackAll(sent);
      this.#o.acked(task.dataId, sent); // read at once, not kept: no metadata copy per slice
    } catch (error) {
      inDoubt = this.#lost(error, sent);
      await this.#o.failed(error, task.dataId, sent.map(meta));
    } finally {
      // A key in doubt is held (the uploader's holds) and stays claimed from other tabs until it is safe to send.
      claim.release(inDoubt ? this.#o.inDoubtMs : 0);
      sent = [];
    }
  }

  /**
   * A request whose fate is unknown (no answer: timeout, connection lost after sending) may still reach
   * the server: its keys are held in doubt (returns true), so a newer version cannot be overtaken by this
   * old one — here, and in other tabs, whose claim waits as long. A
   * multi request that keeps failing transiently is split per channel (one poisonous channel must not
   * hold back the others).
   */
  #lost(error: unknown, sent: StoredSlice[]): boolean {
    if (!(error instanceof ApiError) || error.classification !== "transient") return false;
    const keys = sent.map(keyString);
    const inDoubt = error.status === undefined && !neverSent(error);
    if (inDoubt) this.#o.hold(keys, this.#o.inDoubtMs);
    const splitAfter = this.#o.splitAfter;
    let strikes = 0;
    for (const k of keys) {
      const n = (this.#strikes.get(k) ?? 0) + 1;
      this.#strikes.set(k, n);
      strikes = Math.max(strikes, n);
    }
    if (strikes < splitAfter) return inDoubt;
    if (sent.length > 1) for (const k of keys) this.#o.solo.add(k);
    // Keys that keep failing back off on their own, so they cannot take every slot of the window from the rest.
    this.#o.hold(keys, retryDelay(undefined, strikes - splitAfter + 1, this.#o.retry, this.#o.random));
    return inDoubt;
  }
}

/** The slice without its points (what events and counters take). A literal: rest destructuring is a slow copy. */
function meta(s: StoredSlice): SliceMeta {
  const m: SliceMeta = { dataId: s.dataId, channel: s.channel, chunkIndex: s.chunkIndex, version: s.version, points: s.points, bytes: s.bytes, complete: s.complete, createdAt: s.createdAt };
  if (s.quarantined !== undefined) m.quarantined = s.quarantined;
  return m;
}
