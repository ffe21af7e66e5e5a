/**
 * Starting a stream: `initialize()` online within a bounded wait, or — when the platform cannot be
 * reached — queued in the outbox under a local id and sent later by the uploader (design §3.8). A
 * request still travelling when the wait runs out is adopted, never repeated while it may succeed.
 */
import type { StreamWrites } from "./accept.js";
import { asError, SampleLinkError } from "./errors.js";
import { ApiError } from "../api/errors.js";
import { checkStreamName, checkTags, InvalidInputError } from "../input.js";
import type { Outbox, QueuedInitialize, QuarantineInfo } from "../outbox/outbox.js";
import { retryDelay, type RetryOptions } from "../upload/retry.js";
import { createStream, linkStream, localStreamId, type Clients, type Created } from "./platform-initialize.js";
import type { Emit } from "./events.js";
import type { InitializeOptions } from "./types.js";

/** What the initializer needs from its streamer. */
export interface InitializerContext {
  readonly outbox: Outbox;
  readonly pointsPerChunk: number;
  readonly retry: Required<RetryOptions>;
  /** How long `initialize()` waits for the platform. */
  readonly timeoutMs: number;
  /** The client of each path prefix, and the prefix forced, if any. */
  readonly clients: Clients;
  /** New stream states and state changes (accept.ts). */
  readonly writes: Pick<StreamWrites, "newState" | "writeState">;
  /** Tell the uploader an initialize request is travelling for this stream. */
  adopt(dataId: string, travelling: Promise<unknown>): void;
  kick(): void;
  log(level: "error" | "info" | "debug" | "trace", message: string): void;
  emit: Emit;
}

export class StreamInitializer {
  readonly #c: InitializerContext;

  constructor(context: InitializerContext) {
    this.#c = context;
  }

  async initialize(options: InitializeOptions = {}): Promise<string> {
    const c = this.#c;
    const physicalSample = options.physicalSample?.trim() || undefined;
    const projectId = options.projectId?.trim() || undefined;
    if (options.synthSourceId !== undefined && !Number.isSafeInteger(options.synthSourceId)) {
      throw new InvalidInputError("synthSourceId", options.synthSourceId, "must be a whole number (a growth instrument id)");
    }
    checkStreamName(options.streamName);
    checkTags(options.tags);
    if (physicalSample) checkStreamName(physicalSample, "physicalSample");
    const init: QueuedInitialize = {
      pointsPerChunk: c.pointsPerChunk,
      streamName: options.streamName ?? null,
      synthSourceId: options.synthSourceId ?? null,
      projectId: projectId ?? null,
      physicalSample: physicalSample ?? null,
      tags: options.tags ?? [],
      created: false,
    };
    const deadline = Date.now() + c.timeoutMs;
    let travelling: Promise<Created> | undefined;
    for (let attempt = 1; ; attempt++) {
      travelling = createStream(c.clients, init);
      const outcome = await settleBy(travelling, deadline);
      if (outcome === undefined) break; // still travelling: adopted below
      if ("value" in outcome) return this.#online(outcome.value, init);
      const error = outcome.error;
      if (!(error instanceof ApiError && error.classification === "transient")) throw error;
      travelling = undefined;
      const wait = retryDelay(error, attempt, c.retry);
      if (Date.now() + wait >= deadline) break;
      await new Promise((r) => setTimeout(r, wait));
    }
    // Offline: the initialize waits in the outbox (durably where the outbox is durable), with the readings.
    const dataId = localStreamId();
    const recorded = c.outbox.putStream({ ...c.writes.newState(dataId, c.pointsPerChunk), platformDataId: undefined, pendingInitialize: init });
    if (travelling) {
      // The last request may still reach the platform: no second one is sent until it settles (claimed
      // before the state is written, so the uploader never starts its own meanwhile).
      const request = travelling;
      c.adopt(dataId, recorded.then(() => request).then((created) => this.recordCreated(dataId, created)));
    }
    await recorded;
    c.log("info", `the platform is not reachable: stream ${dataId} started offline; its initialize is queued`);
    c.kick();
    return dataId;
  }

  async #online(created: Created, init: QueuedInitialize): Promise<string> {
    const c = this.#c;
    const { dataId, prefix } = created;
    await c.outbox.putStream({ ...c.writes.newState(dataId, c.pointsPerChunk), streamPrefix: prefix, platformDataId: dataId });
    c.log("info", `stream ${dataId} initialized on ${prefix} (${c.pointsPerChunk} points per chunk)`);
    try {
      await linkStream(c.clients.of(prefix), dataId, init);
    } catch (cause) {
      throw new SampleLinkError(dataId, linkWhat(init), { cause });
    }
    return dataId;
  }

  /** The platform created a stream started offline: record its id and prefix (the link and tags remain). */
  async recordCreated(dataId: string, created: Created): Promise<void> {
    const c = this.#c;
    const state = c.outbox.getStream(dataId);
    if (!state || state.platformDataId !== undefined || !state.pendingInitialize) return;
    await c.writes.writeState(dataId, {
      platformDataId: created.dataId,
      streamPrefix: created.prefix,
      pendingInitialize: { ...state.pendingInitialize, created: true },
    });
    c.log("info", `stream ${dataId} is ${created.dataId} on the platform (${created.prefix})`);
    c.emit("initialized", { dataId, platformDataId: created.dataId });
  }

  /** The uploader's task for a queued initialize: create (if not yet), then link and tag. */
  async sendQueued(dataId: string): Promise<void> {
    const c = this.#c;
    let state = c.outbox.getStream(dataId);
    const init = state?.pendingInitialize;
    if (!state || !init) return;
    try {
      if (!init.created || state.platformDataId === undefined) {
        await this.recordCreated(dataId, await createStream(c.clients, init));
        state = c.outbox.getStream(dataId)!;
      }
    } catch (error) {
      if (error instanceof ApiError && error.classification !== "permanent") throw error;
      const info = refusal(error);
      await c.writes.writeState(dataId, { initializeError: info });
      c.log("error", `the platform refused the queued initialize of ${dataId}: ${info.message} Its slices stay in the outbox.`);
      c.emit("error", { kind: "initialize", error: asError(error), dataId, classification: "permanent" });
      return;
    }
    try {
      await linkStream(c.clients.of(state.streamPrefix), state.platformDataId!, init);
    } catch (error) {
      if (error instanceof ApiError && error.classification !== "permanent") throw error;
      // The data is not held back by a link the platform refuses: reported, then the stream goes on.
      const linkError = new SampleLinkError(dataId, linkWhat(init), { cause: error });
      c.log("error", linkError.message);
      c.emit("error", { kind: "sample-link", error: linkError, dataId, classification: "permanent" });
    }
    await c.writes.writeState(dataId, { pendingInitialize: undefined });
  }

}

/** Why the platform refused something, as stored in a stream's state. */
function refusal(error: unknown): QuarantineInfo {
  const e = error as Partial<ApiError> & Error;
  return { status: e?.status, code: typeof e?.code === "string" ? e.code : "error", detail: e?.detail, message: e?.message ?? String(error), at: Date.now() };
}

/** The promise's outcome if it settles before `deadline` (ms epoch), else undefined (it keeps going). */
function settleBy<T>(promise: Promise<T>, deadline: number): Promise<{ value: T } | { error: unknown } | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ error });
      },
    );
  });
}

/** What linking a stream does, in words (for SampleLinkError). */
function linkWhat(init: QueuedInitialize): string {
  return init.physicalSample ? `linking physical sample ${JSON.stringify(init.physicalSample)}` : `attaching tags ${JSON.stringify(init.tags)}`;
}
