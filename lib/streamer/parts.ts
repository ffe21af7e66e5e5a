/**
 * The streamer's parts, made and wired together: accepting and state writes (accept.ts), the uploader
 * (upload/), initialize (initializer.ts), finalize (finalize.ts), the reports of the outbox's and the
 * uploader's events (reporting.ts), and recovery of what the outbox held (recovery.ts) once it is open.
 * TimeseriesStreamer (streamer.ts) keeps the API and calls these.
 */
import type { AtomscaleClient } from "../api/client.js";
import type { Outbox, StreamState } from "../outbox/outbox.js";
import type { UploadStream } from "../streams/upload-stream.js";
import type { RetryOptions } from "../upload/retry.js";
import { Uploader } from "../upload/uploader.js";
import { StreamWrites } from "./accept.js";
import type { StreamClients } from "./clients.js";
import type { Emit } from "./events.js";
import { StreamFinalizer } from "./finalize.js";
import { reportForeign } from "./foreign.js";
import { StreamInitializer } from "./initializer.js";
import type { LogLevel } from "./options.js";
import type { Progress } from "./progress.js";
import { recover } from "./recovery.js";
import { outboxReports, uploaderReports } from "./reporting.js";
import type { ForeignStream } from "./types.js";
import type { Waiters } from "./waiters.js";

export interface PartsContext {
  outbox: Outbox;
  /** The client of the streamer's endpoint, at its default prefix. */
  client: AtomscaleClient;
  clients: StreamClients;
  pointsPerChunk: number;
  concurrency: number;
  retry: Required<RetryOptions>;
  inDoubtMs: number;
  initializeTimeoutMs: number;
  verify: boolean;
  /** Whether a stream is this streamer's; the others are foreign. */
  ours: (state: StreamState | undefined) => boolean;
  progress: Progress;
  waiters: Waiters;
  /** The writable open on a stream, if any. */
  writable: (dataId: string) => UploadStream | undefined;
  closed: () => boolean;
  foreign: () => { streams: ForeignStream[]; slices: number };
  log: (level: LogLevel, message: string | (() => string)) => void;
  emit: Emit;
}

export interface Parts {
  writes: StreamWrites;
  uploader: Uploader;
  initializer: StreamInitializer;
  finalizer: StreamFinalizer;
  /** Resolves once the outbox is open and recovery of what it held has started. */
  ready: Promise<void>;
}

export function wireParts(c: PartsContext): Parts {
  const say = { log: c.log, emit: c.emit };
  const writes = new StreamWrites({ outbox: c.outbox, client: c.client, verify: c.verify, progress: c.progress, closed: c.closed, ...say });
  // The uploader sends queued initializes through the initializer, which adopts requests the uploader holds.
  let initializer: StreamInitializer | undefined;
  const uploader = new Uploader({
    clientFor: (state) => c.clients.of(state?.streamPrefix ?? c.client.streamPrefix),
    outbox: c.outbox,
    concurrency: c.concurrency,
    retry: c.retry,
    inDoubtMs: c.inDoubtMs,
    verify: c.verify,
    ours: c.ours,
    initialize: (state) => initializer!.sendQueued(state.dataId),
    events: uploaderReports({ ...say, settled: () => c.waiters.settled(), progress: c.progress, outbox: c.outbox }),
  });
  initializer = new StreamInitializer({
    outbox: c.outbox,
    pointsPerChunk: c.pointsPerChunk,
    retry: c.retry,
    timeoutMs: c.initializeTimeoutMs,
    clients: c.clients,
    writes,
    adopt: (dataId, travelling) => uploader.adoptInitialize(dataId, travelling),
    kick: () => uploader.kick(),
    ...say,
  });
  const finalizer = new StreamFinalizer({
    outbox: c.outbox,
    uploader,
    initializer,
    clients: c.clients,
    writes,
    writable: c.writable,
    waiters: c.waiters,
    ...say,
  });
  const report = outboxReports({
    ...say,
    settled: () => c.waiters.settled(),
    // A dropped slice is reported; the read-back before finalize expects none of its points.
    dropped: (d) => writes.dropped(d.dataId, d.channel, d.chunkIndex),
  });
  const unsubscribe = c.outbox.on(report);
  const ready = c.outbox.open().then(
    () =>
      recover({
        outbox: c.outbox,
        progress: c.progress,
        writes,
        log: c.log,
        reportForeign: () => reportForeign(c.foreign(), c.client.endpoint, c.log, c.emit),
        kick: () => uploader.kick(),
      }),
    (error: unknown) => {
      unsubscribe();
      throw error;
    },
  );
  return { writes, uploader, initializer, finalizer, ready };
}
