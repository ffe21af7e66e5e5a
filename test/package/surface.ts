/**
 * The public surface, entry by entry: what the package's `exports` offer (values: what `import`
 * gives at run time; types: the rest of what the declarations export). Sorted, one list per entry,
 * so that adding a name is a one-line change here, reviewed on purpose. Checked against dist/ by
 * exports.test.ts and against the installed tarball by tarball.test.ts.
 */
export interface EntrySurface {
  /** The file, relative to the package root, that the entry's `default` condition names. */
  file: string;
  /** Its declarations (`types` condition). */
  types: string;
  values: string[];
  typeOnly: string[];
}

export const SURFACE: Record<string, EntrySurface> = {
  "atomscale-stream": {
    file: "dist/index.js",
    types: "dist/index.d.ts",
    values: [
      "ApiError",
      "AtomscaleClient",
      "BaseOutbox",
      "ChunkStream",
      "DEFAULT_ENDPOINT",
      "InvalidInputError",
      "MemoryOutbox",
      "OutboxFullError",
      "StreamClosedError",
      "TimeseriesStreamer",
      "distinctByContent",
      "nowSeconds",
      "pollTimeseries",
      "pollTimeseriesStream",
    ],
    typeOnly: [
      "ApiErrorInit",
      "AtomscaleClientOptions",
      "ChannelPoints",
      "ChunkResult",
      "ChunkSource",
      "ChunkStreamOptions",
      "CreateGrowthInstrumentParams",
      "CreatePhysicalSampleParams",
      "DataEntry",
      "DropRecord",
      "ErrorClassification",
      "FinalizeOptions",
      "FinalizeResult",
      "GetTimeseriesOptions",
      "GrowthInstrument",
      "IngestChunkMultiParams",
      "IngestChunkParams",
      "InitializeOptions",
      "InitializeStreamParams",
      "LinkPhysicalSampleParams",
      "ListDataEntriesParams",
      "ListPhysicalSamplesParams",
      "NewSlice",
      "NumberArray",
      "OutboxOptions",
      "OutboxStorage",
      "OverflowPolicy",
      "PhysicalSample",
      "PollErrorContext",
      "PollSnapshot",
      "PollTimeseriesOptions",
      "PushMultiParams",
      "PushParams",
      "QuarantineInfo",
      "Reading",
      "RetryOptions",
      "RunParams",
      "Slice",
      "SliceKey",
      "SliceMeta",
      "StoredSlice",
      "StreamIds",
      "StreamPhase",
      "StreamPrefix",
      "StreamState",
      "StreamStats",
      "Timeseries",
      "TimeseriesPoll",
      "TimeseriesProperty",
      "TimeseriesReader",
      "TimeseriesStreamerOptions",
      "TrackSampleInProjectParams",
      "UploadStream",
      "UploadStreamOptions",
      "UploaderState",
      "Verbosity",
    ],
  },
  "atomscale-stream/browser": {
    file: "dist/browser.js",
    types: "dist/browser.d.ts",
    values: ["IndexedDbOutbox", "OutboxQuotaError"],
    typeOnly: ["IndexedDbOutboxOptions", "OutboxQuotaDetails"],
  },
  "atomscale-stream/serial": {
    file: "dist/serial/index.js",
    types: "dist/serial/index.d.ts",
    values: [
      "DRIVERS",
      "DelimiterFramer",
      "DelimiterSplitter",
      "DriverConfigError",
      "EnvelopeFramer",
      "LineFramer",
      "LineSplitter",
      "MODBUS_DATA_TYPES",
      "RECOVERABLE_SERIAL_ERRORS",
      "SIMULATOR_IDS",
      "SerialConnectionError",
      "TimedBytesStream",
      "WebSerialConnection",
      "createInstrumentIO",
      "createSimulator",
      "getDriver",
      "simulatorDriverOptions",
      "timedBytes",
    ],
    typeOnly: [
      "BufferedInstrumentIO",
      "DelimiterSplitterOptions",
      "DriverInfo",
      "DriverOptions",
      "DriverProblem",
      "EnvelopeFramerOptions",
      "FrameMeasure",
      "InstrumentDriver",
      "InstrumentIO",
      "InstrumentIOOptions",
      "InstrumentSimulator",
      "LineSplitterOptions",
      "ModbusDataType",
      "ProducedValue",
      "SerialConnectionState",
      "SerialSettings",
      "SimulatorOptions",
      "TimedBytes",
      "TimedBytesStreamOptions",
      "TimedFrame",
      "TimedLine",
      "WebSerialOptions",
    ],
  },
  "atomscale-stream/fs": {
    file: "dist/fs.js",
    types: "dist/fs.d.ts",
    values: ["FileOutbox"],
    typeOnly: ["FileOutboxOptions"],
  },
  "atomscale-stream/emulator": {
    file: "dist/emulator/index.js",
    types: "dist/emulator/index.d.ts",
    values: ["EmulatorDependencyError", "startEmulator"],
    typeOnly: ["Emulator", "EmulatorOptions"],
  },
};

/** The entries a browser can run; the published browser bundle holds exactly their values. */
export const BROWSER_ENTRIES = ["atomscale-stream", "atomscale-stream/browser", "atomscale-stream/serial"];
/** The self-contained browser bundle (for a `<script type="module">` without a bundler). */
export const BROWSER_BUNDLE_FILE = "dist/browser/atomscale-stream.js";

export function browserBundleValues(): string[] {
  return BROWSER_ENTRIES.flatMap((entry) => SURFACE[entry]!.values).sort();
}
