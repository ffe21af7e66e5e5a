/**
 * `atomscale-stream` — stream instrument readings into the Atomscale platform. Runtime-neutral: no
 * Node built-ins, no DOM-only or Web Serial types. What this entry exports is the contract (design §4,
 * the README); test/package/exports.test.ts lists it. Browser-only, Node-only and serial parts live in
 * the subpaths `atomscale-stream/browser`, `/fs`, `/serial` and `/emulator`.
 */

// The streamer (the seed's TimeseriesStreamer) and its types
export { TimeseriesStreamer, FinalizeRefusedError, SampleLinkError, StreamClosedError, UnsentDataError } from "./streamer.js";
export type {
  TimeseriesStreamerEventMap,
  StreamerErrorDetail,
  RequestErrorDetail,
  InitializeErrorDetail,
  SampleLinkErrorDetail,
  FinalizeErrorDetail,
  OutboxReadErrorDetail,
  OutboxRefusedErrorDetail,
  OutboxDroppedErrorDetail,
  PartialPutErrorDetail,
  ForeignStream,
  UnverifiedSlice,
  ChannelPointsInput,
  TimeseriesStreamerOptions,
  InitializeOptions,
  PushParams,
  PushMultiParams,
  RunParams,
  ChunkSource,
  FinalizeOptions,
  FinalizeResult,
  StreamStats,
  Verbosity,
} from "./streamer.js";
export type { RetryOptions } from "./upload/retry.js";
export type { UploaderState } from "./upload/uploader.js";

// Streams
export { ChunkStream } from "./streams/chunk-stream.js";
export type { ChunkStreamOptions } from "./streams/chunk-stream.js";
// What streamer.writable() returns; made by the streamer, so a type only.
export type { UploadStream, UploadStreamOptions } from "./streams/upload-stream.js";
export { persistOnPageHide } from "./streams/page-lifecycle.js";
export { ValidateReadingsStream } from "./streams/validate-readings.js";
export type { ValidateReadingsStreamOptions, InvalidReading } from "./streams/validate-readings.js";

// Outboxes: the runtime-neutral one and the types every outbox shares
export { BaseOutbox, CorruptSliceError, OutboxFullError, OutboxReadError } from "./outbox/outbox.js";
export type {
  Outbox,
  Claim,
  PendingOrder,
  StorageInfo,
  CorruptInfo,
  CorruptSlice,
  OutboxEvent,
  OutboxSummary,
  OutboxOptions,
  OverflowPolicy,
  OutboxStorage,
  StreamState,
  StreamPhase,
  SliceMeta,
  StoredSlice,
  NewSlice,
  QuarantineInfo,
  DropRecord,
  QueuedInitialize,
} from "./outbox/outbox.js";
export { MemoryOutbox } from "./outbox/memory.js";

// Readings and slices
export { InvalidInputError } from "./input.js";
export { nowSeconds } from "./types.js";
export type { Reading, Slice, SliceKey } from "./types.js";

// The HTTP client and its errors
export { AtomscaleClient, DEFAULT_ENDPOINT } from "./api/client.js";
export type { AtomscaleClientOptions, StreamPrefix } from "./api/client.js";
export { ApiError } from "./api/errors.js";
export type { ApiErrorInit, ErrorClassification } from "./api/errors.js";
export type * from "./api/types.js";

// Reading back: pollTimeseries
export { pollTimeseries, pollTimeseriesStream, distinctByContent } from "./poll.js";
export type { PollSnapshot, PollTimeseriesOptions, PollErrorContext, TimeseriesPoll, TimeseriesReader } from "./poll.js";
