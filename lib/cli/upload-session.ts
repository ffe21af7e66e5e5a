/**
 * What `stream` and `drain` share: the outbox directory opened with a streamer on it, the connection's
 * state told once per change (platform unreachable and why, key refused, back online), what each stream
 * still holds, and the finalize of several streams with one deadline, summed up with the exit code.
 */
import { ApiError } from "../api/errors.js";
import { FileOutbox } from "../outbox/file.js";
import type { StreamState } from "../outbox/outbox.js";
import { TimeseriesStreamer, type FinalizeResult } from "../streamer.js";
import type { Credentials } from "./args.js";
import { describeError, REFUSED_KEY_ADVICE, shortCause, withoutStop } from "./describe-error.js";
import { CliError } from "./errors.js";

/** Exit code: stopped with data still pending (the finalize is deferred). */
export const EXIT_PENDING = 3;

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * What `outcome` reads of a finalize's result: the fields every version of the streamer has, and the
 * verification's (`corrupt`, `unverified`, status "unverified") where it has them.
 */
export interface FinalizeOutcome {
  status: FinalizeResult["status"] | "unverified";
  unsent: readonly unknown[];
  quarantined: FinalizeResult["quarantined"];
  corrupt?: readonly unknown[] | undefined;
  unverified?: readonly unknown[] | undefined;
}

/** The connection as the status line names it. */
export type PlatformState = "online" | "platform unreachable" | "key refused";

export interface PendingOfStream {
  dataId: string;
  phase: StreamState["phase"];
  endpoint: string;
  slices: number;
  /** Points the server does not have yet (as far as this process knows). */
  points: number;
  quarantined: number;
}

/** Points of a stream still to send, per the outbox (for a process that has sent nothing of them). */
export function pendingOf(outbox: FileOutbox, state: StreamState): PendingOfStream {
  const mine = outbox.slices(state.dataId);
  const pending = mine.filter((s) => !s.quarantined);
  return {
    dataId: state.dataId,
    phase: state.phase,
    endpoint: state.endpoint,
    slices: pending.length,
    points: pending.reduce((n, s) => n + s.points, 0),
    quarantined: mine.length - pending.length,
  };
}

export class UploadSession {
  readonly streamer: TimeseriesStreamer;
  readonly outboxDir: string;
  readonly endpoint: string;
  #platform: PlatformState = "online";
  #lastCause = "";
  /** The outbox failed to read pending slices and no ack has come since (said once, not at every retry). */
  #outboxReadFailing = false;
  /** The uploader's state, from the streamer's "state" events. */
  #connection = "idle";
  readonly #log: (message: string) => void;

  private constructor(streamer: TimeseriesStreamer, outboxDir: string, log: (message: string) => void) {
    this.streamer = streamer;
    this.outboxDir = outboxDir;
    this.endpoint = streamer.client.endpoint;
    this.#log = log;
    this.#watch();
  }

  /** Open the outbox (one process per directory) with a streamer on it; it starts sending what it holds at once. */
  static async open(dir: string, creds: Credentials, pointsPerChunk: number, log: (message: string) => void): Promise<UploadSession> {
    const outbox = new FileOutbox({ dir });
    const streamer = new TimeseriesStreamer({ apiKey: creds.apiKey, endpoint: creds.endpoint, pointsPerChunk, outbox });
    try {
      await streamer.ready;
    } catch (error) {
      const message = withoutStop((error as Error).message);
      throw new CliError(
        `cannot use the outbox ${dir}: ${message}.${/in use by another process/.test(message) ? " Each running stream needs its own --outbox DIR." : ""}`,
        1,
        { cause: error, code: "outbox_unavailable" },
      );
    }
    return new UploadSession(streamer, dir, log);
  }

  get outbox(): FileOutbox {
    return this.streamer.outbox as FileOutbox;
  }

  /** online, platform unreachable (its cause in `cause`), or key refused. */
  get platform(): PlatformState {
    if (this.#connection === "auth-paused") return "key refused";
    if (this.#platform === "online" && this.#connection === "retrying") return "platform unreachable";
    return this.#platform;
  }

  /** The last network cause seen (ECONNREFUSED, HTTP 503 …), for the status line. */
  get cause(): string {
    return this.#lastCause;
  }

  /** Streams of this endpoint not finalized yet. */
  unfinished(): StreamState[] {
    return this.outbox.streams().filter((s) => s.endpoint === this.endpoint && s.phase !== "finalized");
  }

  /** Streams of other endpoints with something left to do. */
  elsewhere(): StreamState[] {
    return this.outbox.streams().filter((s) => s.endpoint !== this.endpoint && s.phase !== "finalized");
  }

  /** Slices still to send, over these streams. */
  pendingSlices(ids: readonly string[]): number {
    return ids.reduce((n, id) => n + this.outbox.pendingCount(id), 0);
  }

  /**
   * Points of a stream the server does not have: accepted minus acknowledged in this process (a partial
   * slice acknowledged and then grown counts only its new points), minus what the server refused.
   */
  notSent(dataId: string): number {
    const stats = this.streamer.stats(dataId);
    const refused = this.outbox.slices(dataId).filter((s) => s.quarantined).reduce((n, s) => n + s.points, 0);
    return Math.max(0, stats.acceptedPoints - stats.ackedPoints - refused);
  }

  /** The platform's data id of a stream (a stream started offline has a local id until the platform has it). */
  platformId(dataId: string): string | undefined {
    const lookup = (this.streamer as unknown as { platformDataId?: (id: string) => string | undefined }).platformDataId;
    return lookup ? lookup.call(this.streamer, dataId) : dataId;
  }

  /** Finalize every stream with one deadline; an error is a result too. */
  async finalizeAll(ids: readonly string[], timeoutMs: number): Promise<Array<FinalizeResult | Error>> {
    this.streamer.retryNow();
    const deadline = performance.now() + timeoutMs;
    return Promise.all(
      ids.map((id) =>
        this.streamer.finalize(id, { timeoutMs: Math.max(0, deadline - performance.now()) }).then(
          (result): FinalizeResult | Error => result,
          (error: unknown): FinalizeResult | Error => (error instanceof Error ? error : new Error(String(error))),
        ),
      ),
    );
  }

  /**
   * One line per stream and the exit code: 0 all finalized, 3 something deferred (pending), 1 an error
   * (a refused finalize, refused slices, a refused key).
   */
  outcome(ids: readonly string[], results: ReadonlyArray<FinalizeOutcome | Error>, name: (id: string, i: number) => string): { code: number; lines: string[] } {
    let code = 0;
    const lines: string[] = [];
    ids.forEach((id, i) => {
      const result = results[i]!;
      const platform = this.platformId(id);
      const which = `${name(id, i)}${platform !== undefined && platform !== id ? ` (platform data id ${platform})` : ""}`;
      if (result instanceof Error) {
        code = 1;
        lines.push(`${which}: ${describeError(result, this.endpoint)}.`);
        return;
      }
      if (result.quarantined.length > 0) {
        code = 1;
        const first = result.quarantined[0]!.quarantined;
        lines.push(`${which}: the server refused ${plural(result.quarantined.length, "slice")} (kept in the outbox ${this.outboxDir})${first ? `: ${withoutStop(first.message)}` : ""}.`);
      }
      if ((result.corrupt?.length ?? 0) > 0) {
        code = 1;
        lines.push(`${which}: ${plural(result.corrupt!.length, "slice")} could not be read back from the outbox ${this.outboxDir} (damaged storage): set aside, not sent.`);
      }
      if (result.status === "finalized") lines.push(`${which} finalized.`);
      else if (result.status === "unverified") {
        code = 1;
        lines.push(
          `${which}: the server's copy kept differing from what was sent (${plural(result.unverified?.length ?? 0, "channel")}), so the stream is not finalized; the data stays in the outbox ${this.outboxDir}.`,
        );
      } else {
        if (code === 0) code = EXIT_PENDING;
        const points = this.notSent(id);
        lines.push(
          `${which}: ${plural(points, "point")} not yet on the server (${plural(result.unsent.length, "slice")}) after the finalize timeout — the finalize is deferred.`,
        );
      }
    });
    if (this.platform === "key refused") {
      code = 1;
      lines.push(`The server refused the API key. ${REFUSED_KEY_ADVICE}`);
    }
    return { code, lines };
  }

  #watch(): void {
    const streamer = this.streamer;
    streamer.addEventListener("error", (event) => {
      const detail = event.detail;
      if (detail.kind === "outbox-read") {
        // This machine's storage, not the platform: the slices stay pending and are read again.
        if (!this.#outboxReadFailing) this.#log(`error: ${describeError(detail.error, this.endpoint)}.`);
        this.#outboxReadFailing = true;
      } else if (detail.classification === "auth") {
        if (this.#platform !== "key refused") {
          this.#log(`the server refused the API key (${describeError(detail.error, this.endpoint)}): uploads are paused; the data waits in the outbox.`);
        }
        this.#platform = "key refused";
      } else if (detail.classification === "transient") {
        this.#lastCause = shortCause(detail.error, this.endpoint);
        if (this.#platform === "online") {
          this.#log(`platform unreachable (${describeError(detail.error, this.endpoint)}): recording and retrying; the data waits in the outbox.`);
        }
        this.#platform = "platform unreachable";
      } else if (detail.kind !== "request" && detail.kind !== "finalize") {
        // A refused request of slices is told slice by slice by the "quarantine" event; a refused finalize
        // in the outcome line of its stream (finalize() rejects with it).
        this.#log(`error: ${describeError(detail.error, this.endpoint)}.`);
      }
    });
    streamer.addEventListener("connection", (event) => {
      this.#connection = event.detail.connection;
    });
    streamer.addEventListener("progress", () => {
      this.#outboxReadFailing = false;
      if (this.#platform === "platform unreachable") this.#log("the platform is reachable again: sending what waited.");
      if (this.#platform !== "key refused") this.#platform = "online";
    });
    streamer.addEventListener("initialized", (event) => {
      const detail = event.detail;
      if (detail.dataId !== detail.platformDataId) {
        this.#log(`stream ${detail.dataId} is created on the platform: its data id there is ${detail.platformDataId} (for "atomscale-stream poll").`);
      }
    });
    streamer.addEventListener("quarantine", (event) => {
      const detail = event.detail;
      for (const s of detail.slices.slice(0, 3)) {
        this.#log(`the server refused ${s.channel} chunk ${s.chunkIndex} of ${detail.dataId}: ${withoutStop(s.message ?? "refused")} (kept in the outbox).`);
      }
    });
  }
}

/** An ApiError's HTTP status, if it is one. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof ApiError ? error.status : undefined;
}
