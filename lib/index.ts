/** `atomscale-stream` — stream instrument readings into the Atomscale platform. Runtime-neutral. */
export { AtomscaleClient, DEFAULT_ENDPOINT, normalizeTimeseries } from "./api/client.js";
export type { AtomscaleClientOptions, StreamPrefix } from "./api/client.js";
export { ApiError, classifyStatus, parseRetryAfter, describeDetail } from "./api/errors.js";
export type { ErrorClassification } from "./api/errors.js";
export type * from "./api/types.js";
export type * as Wire from "./api/wire.js";

export { TimeseriesStreamer, StreamClosedError } from "./streamer.js";
export type {
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
export { ChunkStream } from "./streams/chunk-stream.js";
export type { ChunkStreamOptions } from "./streams/chunk-stream.js";
export { UploadStream } from "./streams/upload-stream.js";
export type { UploadStreamOptions } from "./streams/upload-stream.js";
export { Chunker } from "./streams/chunker.js";
export { BaseOutbox, CorruptSliceError, OutboxFullError, OutboxReadError, sliceBytes } from "./outbox/outbox.js";
export type {
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
} from "./outbox/outbox.js";
export { MemoryOutbox } from "./outbox/memory.js";
export { IndexedDbOutbox, OutboxQuotaError, INDEXEDDB_SCHEMA_VERSION, createVersion1OutboxDatabase } from "./outbox/indexeddb.js"; export type { IndexedDbOutboxOptions, OutboxQuotaDetails } from "./outbox/indexeddb.js";
export type { RetryOptions } from "./upload/retry.js";
export type { UploaderState } from "./upload/uploader.js";
export { InvalidInputError, MAX_EPOCH_SECONDS } from "./input.js";
export type { Reading, Slice, SliceKey } from "./types.js";
export { nowSeconds } from "./types.js";
// serial: the Web Serial source and the transport ↔ driver contract
export { WebSerialConnection, SerialConnectionError, RECOVERABLE_SERIAL_ERRORS } from "./serial/web-serial.js";
export type { WebSerialOptions, SerialConnectionState } from "./serial/web-serial.js";
export type { TimedBytes, SerialSettings, InstrumentIO, DriverProblem, DriverOptions, InstrumentDriver } from "./serial/driver.js";

// read-back: pollTimeseries
export { pollTimeseries, pollTimeseriesStream, distinctByContent } from "./poll.js";
export type { PollSnapshot, PollTimeseriesOptions, PollErrorContext, TimeseriesPoll, TimeseriesReader } from "./poll.js";
// serial: drivers, framing, simulators
export { createInstrumentIO, timedBytes, TimedBytesStream } from "./serial/io.js";
export type { BufferedInstrumentIO, InstrumentIOOptions, TimedBytesStreamOptions } from "./serial/io.js";
export { LineSplitter, LineFramer, DelimiterSplitter, DelimiterFramer } from "./serial/framing.js";
export type { TimedLine, TimedFrame, LineSplitterOptions, DelimiterSplitterOptions } from "./serial/framing.js";
export { DriverConfigError } from "./serial/driver-error.js";
export { DRIVERS, getDriver, PlotterLineParser, parsePfeifferReply, PFEIFFER_STATUS, IMPAC_MAX_TENTHS, pollReadings, nextMacrotask, parseDecimal } from "./serial/instruments/index.js";
export type { PlotterColumn, ParsedLine, PollContext, PollCycle } from "./serial/instruments/index.js";
export { createSimulator, SIMULATOR_IDS } from "./serial/simulators.js";
export type { SimulatorOptions, InstrumentSimulator, ProducedValue } from "./serial/simulators.js";
