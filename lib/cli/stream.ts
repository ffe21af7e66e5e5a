/**
 * `atomscale-stream stream`: a serial instrument, stdin or a CSV file → the Atomscale platform, through
 * a FileOutbox, with a status line, clean stops and exit codes scripts can use.
 */
import { basename } from "node:path";
import { ApiError } from "../api/errors.js";
import { FileOutbox } from "../outbox/file.js";
import type { DriverOptions, DriverProblem, InstrumentDriver } from "../serial/driver.js";
import { getDriver } from "../serial/instruments/index.js";
import { createInstrumentIO, timedBytes } from "../serial/io.js";
import { Chunker } from "../streams/chunker.js";
import { TimeseriesStreamer, type FinalizeResult } from "../streamer.js";
import type { Reading } from "../types.js";
import {
  apiHelp,
  API_OPTIONS,
  choiceOption,
  credentials,
  integerOption,
  parseCommand,
  secondsOption,
  sleep,
  usage,
  type Credentials,
  type ParsedCommand,
} from "./args.js";
import { checkCsvHeader, CsvHeaderError, csvReadings } from "./csv.js";
import { defaultOutboxDir } from "./data-dir.js";
import { BAUD_RATES, openFile, openSerialDevice, openStdin, type ByteSource, type LineSettings } from "./device.js";
import { CliError } from "./errors.js";
import { DRIVER_OPTION_FLAGS, driverOptions as buildDriverOptions, driverOptionsHelp } from "./driver-options.js";
import { RateMeter, StatusLine } from "./status-line.js";

/** Exit codes of `stream` (0 finalized, 1 error and 2 usage are the CLI's own). */
export const EXIT_PENDING = 3;
export const EXIT_SECOND_SIGNAL = 130;

const COMMAND = "stream";

const OPTIONS = {
  device: { type: "string" },
  stdin: { type: "boolean" },
  file: { type: "string" },
  baud: { type: "string" },
  "data-bits": { type: "string" },
  parity: { type: "string" },
  "stop-bits": { type: "string" },
  ...DRIVER_OPTION_FLAGS,
  name: { type: "string" },
  "physical-sample": { type: "string" },
  instrument: { type: "string" },
  project: { type: "string" },
  "points-per-chunk": { type: "string" },
  outbox: { type: "string" },
  resume: { type: "boolean" },
  "finalize-timeout": { type: "string" },
  "log-interval": { type: "string" },
  ...API_OPTIONS,
} as const;

function help(): string {
  return `Usage: atomscale-stream stream (--device PATH | --stdin | - | --file PATH) [options]

Streams instrument readings to the Atomscale platform: from a serial device, from standard input
(plotter lines: values separated by spaces, commas or tabs, "# name[units] …" header lines,
name:value or name=value pairs) or from a CSV file. Every reading is written to an outbox on disk
before it is sent: an outage, a crash or Ctrl+C loses nothing, and what was not sent yet is sent by
the next run on the same outbox. Prints the stream's data id on stdout; progress goes to stderr
(a live status line on a terminal, a log line every few seconds otherwise).

Input (one of):
  --device PATH           a serial device (e.g. /dev/ttyUSB0): configured with stty, opened read/write
  --stdin, -              standard input, read with --driver lines
  --file PATH             a CSV file: a header row names the columns; a column named time, timestamp
                          or t holds each row's time (Unix epoch seconds, or ISO 8601), else a row is
                          stamped when it is read; every other column is a channel

Serial line (--device; default: the driver's usual settings):
  --baud N                baud rate (default: the driver's, listed under Drivers below)
  --data-bits 7|8
  --parity none|even|odd
  --stop-bits 1|2

Instrument:
  --driver ID             one of the drivers listed under Drivers below (default lines); polled drivers need --device
  --channels LIST         name[:units],…  lines: the names of bare columns, in order (an instrument's own
                          header or labels win, and the run says so once); a polled driver: one name per
                          value it reads, in order; --file: only these columns, with these units
  --interval SECONDS      polled drivers: keep at most one reading per interval (default: every reply)
  (each driver's own options — --command, --address, --inputs, --register, … — are listed under Drivers)

${driverOptionsHelp().join("\n")}

Stream:
  --name TEXT             stream name (default: the input and the time)
  --physical-sample S     link a physical sample: its name (created if missing) or its UUID
  --instrument ID         growth instrument id (synth_source_id; see GET /instruments/synthesis)
  --project UUID          project (with --physical-sample: the project tracks the sample)
  --points-per-chunk N    points per chunk (default 100)
  --resume                continue the most recent open stream in the outbox instead of starting a new
                          one (without it, open streams an earlier run left are finalized once sent)
  --outbox DIR            where data waits until the server has it (default ${defaultOutboxDir()});
                          one running stream per directory
  --finalize-timeout S    on stop: how long to wait for pending data to be sent (default 30)
  --log-interval S        without a terminal: a progress line every S seconds (default 5)
${apiHelp(24)}

Stopping: Ctrl+C (SIGINT) or SIGTERM stops reading, saves the open chunk, sends what is pending and
finalizes the stream. A second Ctrl+C exits at once: unsent data stays in the outbox, and the next
run on the same outbox sends it (and finalizes the stream, or continues it with --resume).
Bad lines are counted, reported and skipped, never fatal.

Exit codes:
  0    finished: the stream is finalized, everything read is on the platform
  1    error (the input failed, the server refused the key or some data, …)
  2    usage error
  3    stopped with data still pending (no connection): the finalize is deferred; the data is in
       the outbox and the next run on it sends it and finalizes the stream
  130  stopped at once by a second signal; pending data is in the outbox for the next run`;
}

type Input = { kind: "device"; path: string; line: LineSettings } | { kind: "stdin" } | { kind: "file"; path: string };

interface StreamConfig {
  input: Input;
  driver: InstrumentDriver;
  driverOptions: DriverOptions;
  channels: string[] | undefined;
  units: Record<string, string>;
  name: string | undefined;
  physicalSample: string | undefined;
  synthSourceId: number | undefined;
  projectId: string | undefined;
  pointsPerChunk: number;
  resume: boolean;
  outboxDir: string;
  finalizeTimeoutMs: number;
  logIntervalMs: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `name[:units],…` */
export function parseChannels(raw: string): { channels: string[]; units: Record<string, string> } {
  const channels: string[] = [];
  const units: Record<string, string> = {};
  for (const item of raw.split(",")) {
    const cut = item.indexOf(":");
    const name = (cut >= 0 ? item.slice(0, cut) : item).trim();
    const unit = cut >= 0 ? item.slice(cut + 1).trim() : "";
    if (name === "") throw usage(COMMAND, `--channels takes name[:units],… — ${JSON.stringify(raw)} has an empty name.`);
    if ([...name].length > 255) throw usage(COMMAND, `--channels: the name ${JSON.stringify(name.slice(0, 20))}… is longer than 255 characters.`);
    if (channels.includes(name)) throw usage(COMMAND, `--channels names ${JSON.stringify(name)} twice.`);
    channels.push(name);
    if (unit !== "") units[name] = unit;
  }
  return { channels, units };
}

type Values = ParsedCommand<typeof OPTIONS>["values"];

function checkConfig(values: Values, positionals: string[]): StreamConfig {
  const extra = positionals.filter((p) => p !== "-");
  if (extra.length > 0) throw usage(COMMAND, `unexpected argument ${JSON.stringify(extra[0])} (the input is --device PATH, --stdin or -, or --file PATH).`);
  const wantsStdin = values.stdin === true || positionals.includes("-");
  const chosen = [values.device !== undefined && "--device", wantsStdin && "--stdin", values.file !== undefined && "--file"].filter(Boolean);
  if (chosen.length === 0) throw usage(COMMAND, "no input: give --device PATH, --stdin (or -), or --file PATH. See --help.");
  if (chosen.length > 1) throw usage(COMMAND, `choose one input, not ${chosen.join(" and ")}.`);
  if (values.device === "" || values.file === "") throw usage(COMMAND, `${values.device === "" ? "--device" : "--file"} needs a path.`);

  let driver: InstrumentDriver;
  try {
    driver = getDriver(values.driver ?? "lines");
  } catch (error) {
    throw usage(COMMAND, `--driver: ${(error as Error).message}`);
  }
  if (values.file !== undefined && values.driver !== undefined) throw usage(COMMAND, "--driver applies to --device and --stdin; --file reads CSV.");
  if (driver.kind === "polled" && values.device === undefined) {
    throw usage(COMMAND, `--driver ${driver.id} queries the instrument, so it needs --device PATH (it cannot write to ${wantsStdin ? "stdin" : "a file"}).`);
  }
  for (const flag of ["baud", "data-bits", "parity", "stop-bits"] as const) {
    if (values[flag] !== undefined && values.device === undefined) throw usage(COMMAND, `--${flag} applies to --device only.`);
  }

  const { channels, units } = values.channels !== undefined ? parseChannels(values.channels) : { channels: undefined, units: {} };

  let input: Input;
  if (values.device !== undefined) {
    const baudRate = integerOption(COMMAND, "--baud", values.baud, driver.serial.baudRate, 1, 4_000_000);
    if (!(BAUD_RATES as readonly number[]).includes(baudRate)) {
      throw usage(COMMAND, `--baud ${baudRate} is not a standard rate; use one of ${BAUD_RATES.filter((b) => b >= 1200).join(", ")}.`);
    }
    input = {
      kind: "device",
      path: values.device,
      line: {
        baudRate,
        dataBits: Number(choiceOption(COMMAND, "--data-bits", values["data-bits"], ["7", "8"] as const, String(driver.serial.dataBits ?? 8) as "7" | "8")) as 7 | 8,
        parity: choiceOption(COMMAND, "--parity", values.parity, ["none", "even", "odd"] as const, driver.serial.parity ?? "none"),
        stopBits: Number(choiceOption(COMMAND, "--stop-bits", values["stop-bits"], ["1", "2"] as const, String(driver.serial.stopBits ?? 1) as "1" | "2")) as 1 | 2,
      },
    };
  } else if (values.file !== undefined) input = { kind: "file", path: values.file };
  else input = { kind: "stdin" };

  const resume = values.resume === true;
  if (resume) {
    const fixed = (["name", "physical-sample", "instrument", "project", "points-per-chunk"] as const).filter((f) => values[f] !== undefined);
    if (fixed.length > 0) throw usage(COMMAND, `--resume continues an existing stream, whose --${fixed[0]} cannot change now; drop --${fixed.join(", --")}.`);
  }
  const project = values.project?.trim();
  if (project !== undefined && !UUID.test(project)) throw usage(COMMAND, `--project must be a project UUID, got ${JSON.stringify(values.project)}.`);
  if (values.name !== undefined && values.name.trim() === "") throw usage(COMMAND, "--name must not be empty.");
  if (values["physical-sample"] !== undefined && values["physical-sample"].trim() === "") throw usage(COMMAND, "--physical-sample must not be empty.");

  const driverOptions = buildDriverOptions(COMMAND, values, driver, { channels, units });

  return {
    input,
    driver,
    driverOptions,
    channels,
    units,
    name: values.name?.trim(),
    physicalSample: values["physical-sample"]?.trim(),
    synthSourceId: integerOption(COMMAND, "--instrument", values.instrument, undefined, 0, Number.MAX_SAFE_INTEGER),
    projectId: project,
    pointsPerChunk: integerOption(COMMAND, "--points-per-chunk", values["points-per-chunk"], 100, 1, 2_147_483_647),
    resume,
    outboxDir: values.outbox ?? defaultOutboxDir(),
    finalizeTimeoutMs: secondsOption(COMMAND, "--finalize-timeout", values["finalize-timeout"], 30, 0, 86_400, true) * 1000,
    logIntervalMs: secondsOption(COMMAND, "--log-interval", values["log-interval"], 5, 0, 3600) * 1000,
  };
}

function describeInput(config: StreamConfig): string {
  const { input, driver } = config;
  if (input.kind === "file") return `${input.path} (CSV)`;
  if (input.kind === "stdin") return `stdin (${driver.id})`;
  const { line } = input;
  return `${input.path} (${driver.id}, ${line.baudRate} baud, ${line.dataBits}${line.parity[0]!.toUpperCase()}${line.stopBits})`;
}

function defaultName(config: StreamConfig): string {
  const { input, driver } = config;
  const what = input.kind === "file" ? basename(input.path) : input.kind === "stdin" ? `stdin ${driver.id}` : `${basename(input.path)} ${driver.id}`;
  return `${what} ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export async function streamCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(COMMAND, argv, OPTIONS);
  if (values.help) {
    console.log(help());
    return 0;
  }
  const config = checkConfig(values, positionals);
  const creds = credentials(COMMAND, values);
  return new StreamRun(config, creds).run();
}

/** One run of the command: its input, streamer, counters and stop handling. */
class StreamRun {
  readonly #config: StreamConfig;
  readonly #creds: Credentials;
  readonly #stop = new AbortController();
  #stopReason = "";
  #signals = 0;
  #source: ByteSource | undefined;
  #streamer: TimeseriesStreamer | undefined;
  #status: StatusLine | undefined;
  #dataId: string | undefined;
  /** Streams an earlier run left unfinished (on this endpoint): finalized once their data is sent. */
  #earlier: string[] = [];
  #read = 0;
  #badLines = 0;
  #problems = new Map<string, number>();
  readonly #rate = new RateMeter();
  #lastConnectionError = "";

  constructor(config: StreamConfig, creds: Credentials) {
    this.#config = config;
    this.#creds = creds;
  }

  #log(message: string): void {
    if (this.#status) this.#status.log(message);
    else process.stderr.write(`atomscale-stream: ${message}\n`);
  }

  async run(): Promise<number> {
    const onSignal = (signal: string) => this.#onSignal(signal);
    const onInt = () => onSignal("SIGINT");
    const onTerm = () => onSignal("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    try {
      return await this.#run();
    } finally {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      this.#status?.stop();
      this.#source?.close();
      await this.#streamer?.close().catch(() => {});
    }
  }

  #onSignal(signal: string): void {
    this.#signals++;
    const name = signal === "SIGINT" ? "Ctrl+C" : signal;
    if (this.#signals === 1) {
      this.#stopReason = name;
      this.#stop.abort();
      this.#log(
        `${name}: stopping — saving the open chunk, sending what is pending (up to ${this.#config.finalizeTimeoutMs / 1000} s) and finalizing. ` +
          `${signal === "SIGINT" ? "Ctrl+C" : "Signal"} again to exit at once, leaving unsent data in the outbox.`,
      );
      this.#streamer?.retryNow();
      return;
    }
    this.#status?.stop();
    process.stderr.write(`atomscale-stream: ${name} again: exiting at once. ${this.#leftBehind()}\n`);
    process.exit(EXIT_SECOND_SIGNAL);
  }

  /** What a stop leaves in the outbox, and what the next run does with it. */
  #leftBehind(): string {
    const streamer = this.#streamer;
    const dir = this.#config.outboxDir;
    if (!streamer || !this.#dataId) return "No stream was started; nothing is pending.";
    const dataId = this.#dataId;
    const pendingOf = (id: string) => streamer.outbox.slices(id).filter((s) => !s.quarantined);
    const mine = pendingOf(dataId);
    const points = mine.reduce((n, s) => n + s.points, 0);
    const phase = streamer.outbox.getStream(dataId)?.phase;
    const next = `e.g. atomscale-stream stream --outbox ${dir} …`;
    const parts: string[] = [];
    if (mine.length > 0) {
      const then = phase === "open" ? `finalizes stream ${dataId} (or continues it with --resume)` : `finalizes stream ${dataId}`;
      parts.push(`${plural(mine.length, "slice")} (${plural(points, "point")}) not yet sent are saved in the outbox ${dir}: nothing is lost — the next run on it sends them and ${then} (${next}).`);
    } else if (phase !== "finalized") {
      parts.push(`Stream ${dataId} is not finalized yet: the next run on the outbox ${dir} finalizes it (${next}).`);
    } else parts.push(`Stream ${dataId} is finalized; nothing of it is pending.`);
    const earlier = this.#earlier.filter((id) => streamer.outbox.getStream(id)?.phase !== "finalized");
    if (earlier.length > 0) {
      const slices = earlier.reduce((n, id) => n + pendingOf(id).length, 0);
      parts.push(`${plural(earlier.length, "earlier stream")} (${plural(slices, "slice")}) also wait${earlier.length === 1 ? "s" : ""} there for the next run.`);
    }
    return parts.join(" ");
  }

  async #run(): Promise<number> {
    const config = this.#config;
    // The input first: a wrong device or file must not leave an empty stream on the platform.
    const input = config.input;
    this.#source = input.kind === "device" ? await openSerialDevice(input.path, input.line) : input.kind === "file" ? await openFile(input.path) : openStdin();
    if (input.kind === "file") {
      await checkCsvHeader(input.path, { columns: config.channels, units: config.units }).catch((error: Error) => {
        throw new CliError(`cannot stream ${input.path}: ${describeError(error)}`, 1, { cause: error });
      });
    }

    const outbox = new FileOutbox({ dir: config.outboxDir });
    const streamer = new TimeseriesStreamer({
      apiKey: this.#creds.apiKey,
      endpoint: this.#creds.endpoint,
      pointsPerChunk: config.pointsPerChunk,
      outbox,
    });
    this.#streamer = streamer;
    try {
      await streamer.ready;
    } catch (error) {
      this.#streamer = undefined;
      const message = (error as Error).message;
      throw new CliError(
        `cannot use the outbox ${config.outboxDir}: ${message}${/in use by another process/.test(message) ? " Each running stream needs its own --outbox DIR." : ""}`,
        1,
        { cause: error },
      );
    }
    this.#watch(streamer);

    // Streams an earlier run left in the outbox (for this endpoint).
    const endpoint = streamer.client.endpoint;
    const unfinished = streamer.outbox.streams().filter((s) => s.endpoint === endpoint && s.phase !== "finalized");
    let dataId: string | undefined;
    if (config.resume) {
      const open = unfinished.filter((s) => s.phase === "open").sort((a, b) => b.updatedAt - a.updatedAt)[0];
      if (!open) {
        throw new CliError(`--resume: the outbox ${config.outboxDir} holds no open stream for ${endpoint} to continue. Run without --resume to start a new stream.`);
      }
      dataId = open.dataId;
    }
    this.#earlier = unfinished.map((s) => s.dataId).filter((id) => id !== dataId);
    for (const state of unfinished) {
      if (state.dataId !== dataId && state.phase === "open") await streamer.finalize(state.dataId, { timeoutMs: 0 }).catch(() => {});
    }
    if (this.#earlier.length > 0) {
      const pending = this.#earlier.reduce((n, id) => n + streamer.outbox.slices(id).filter((s) => !s.quarantined).length, 0);
      this.#log(
        `the outbox holds ${plural(this.#earlier.length, "unfinished stream")} from ${this.#earlier.length === 1 ? "an earlier run" : "earlier runs"} (${plural(pending, "slice")} to send): ` +
          `sending and finalizing ${this.#earlier.length === 1 ? "it" : "them"} alongside.`,
      );
    }

    if (this.#stop.signal.aborted) throw new CliError(`stopped (${this.#stopReason}) before the stream started; nothing was sent.`);
    if (dataId === undefined) {
      try {
        dataId = await streamer.initialize({
          streamName: config.name ?? defaultName(config),
          ...(config.physicalSample !== undefined ? { physicalSample: config.physicalSample } : {}),
          ...(config.synthSourceId !== undefined ? { synthSourceId: config.synthSourceId } : {}),
          ...(config.projectId !== undefined ? { projectId: config.projectId } : {}),
        });
      } catch (error) {
        const created = (error as { dataId?: string }).dataId;
        if (created === undefined) {
          throw new CliError(`cannot start a stream on ${endpoint}: ${(error as Error).message}`, 1, { cause: error });
        }
        dataId = created;
        this.#log(`warning: ${(error as Error).message}`);
      }
    }
    this.#dataId = dataId;
    console.log(dataId);
    const state = streamer.outbox.getStream(dataId);
    this.#log(
      `${config.resume ? "continuing" : "streaming to"} stream ${dataId} on ${endpoint} (${state?.pointsPerChunk || config.pointsPerChunk} points per chunk); ` +
        `reading ${describeInput(config)}; outbox ${outbox.dir}`,
    );
    this.#status = new StatusLine(() => this.#statusText(), { logIntervalMs: config.logIntervalMs });

    const inputError = await this.#pump(streamer, dataId);
    if (inputError !== undefined) this.#log(`input stopped: ${describeError(inputError)}`);

    // Stop: the open chunk is already sealed into the outbox; send, then finalize (bounded).
    streamer.retryNow();
    const deadline = performance.now() + config.finalizeTimeoutMs;
    const ids = [dataId, ...this.#earlier];
    const results = await Promise.all(
      ids.map((id) =>
        streamer.finalize(id, { timeoutMs: Math.max(0, deadline - performance.now()) }).then(
          (result): FinalizeResult | Error => result,
          (error: unknown): FinalizeResult | Error => (error instanceof Error ? error : new Error(String(error))),
        ),
      ),
    );
    this.#status.stop();
    this.#status.snapshot();
    return this.#summary(streamer, ids, results, inputError);
  }

  /** Input → driver → checked readings → the stream's writable. Resolves with the input's error, if any. */
  async #pump(streamer: TimeseriesStreamer, dataId: string): Promise<unknown> {
    const config = this.#config;
    const source = this.#source!;
    const signal = this.#stop.signal;
    const onProblem = (p: DriverProblem) => this.#problem(p);
    const bytes = timedBytes(source.readable);
    let cancelInput: () => Promise<void>;
    let readings: ReadableStream<Reading[]>;
    if (config.input.kind === "file") {
      readings = csvReadings(bytes, { columns: config.channels, units: config.units, onProblem, signal });
      cancelInput = () => readings.cancel().catch(() => {});
    } else {
      const write = source.write ?? (() => Promise.reject(new Error("this input cannot be written to")));
      const io = createInstrumentIO(bytes, write);
      cancelInput = () => io.cancel();
      readings = config.driver.readings(io, {
        ...config.driverOptions,
        // Right after opening a device the first line may be a tail; stdin starts at the beginning.
        dropFirstLine: config.input.kind === "device",
        signal,
        onProblem,
        onInfo: (info) => this.#log(info.message),
      });
    }
    const writable = streamer.writable(dataId, { finalizeOnClose: false });
    const writer = writable.getWriter();
    const reader = readings.getReader();
    let inputError: unknown;
    let writeError: unknown;
    for (;;) {
      let next: ReadableStreamReadResult<Reading[]>;
      try {
        next = await reader.read();
      } catch (error) {
        inputError = error;
        break;
      }
      if (next.done) break;
      const good = next.value.filter((r) => this.#valid(r));
      if (good.length === 0) continue;
      try {
        await writer.write(good);
      } catch (error) {
        writeError = error;
        break;
      }
      this.#read += good.length;
      this.#rate.add(good.length);
    }
    reader.releaseLock();
    await Promise.race([cancelInput(), sleep(500)]);
    source.close();
    if (writeError !== undefined) {
      await writer.abort(writeError).catch(() => {});
      throw new CliError(`cannot save readings in the outbox ${config.outboxDir}: ${describeError(writeError)}`, 1, { cause: writeError });
    }
    await writer.close(); // seals the open chunks into the outbox
    if (!signal.aborted && inputError === undefined && config.input.kind === "device") {
      inputError = new Error(`the device ${config.input.path} closed`);
    }
    if (inputError === undefined && !signal.aborted) this.#stopReason = "end of input";
    return inputError;
  }

  /** A reading the streamer would refuse is a bad line, not the end of the run. */
  #valid(reading: Reading): boolean {
    try {
      Chunker.check(reading);
      return true;
    } catch (error) {
      this.#problem({ kind: "bad-line", message: `Skipped a reading: ${(error as Error).message}`, t: reading.t });
      return false;
    }
  }

  #problem(problem: DriverProblem): void {
    const bad = problem.kind === "bad-line" || problem.kind === "bad-reply" || problem.kind.endsWith("-too-long");
    const key = bad ? "bad line" : problem.kind;
    const seen = (this.#problems.get(key) ?? 0) + 1;
    this.#problems.set(key, seen);
    if (bad) this.#badLines++;
    if (seen <= 3) {
      const raw = problem.raw !== undefined ? ` (${JSON.stringify(problem.raw.length > 80 ? `${problem.raw.slice(0, 77)}...` : problem.raw)})` : "";
      this.#log(`${key}: ${problem.message}${raw}${seen === 3 ? ` Further ${key}s are counted, not shown.` : ""}`);
    }
  }

  #watch(streamer: TimeseriesStreamer): void {
    streamer.addEventListener("error", (event) => {
      const detail = (event as CustomEvent<{ error: unknown; classification: string; retryInMs?: number }>).detail;
      if (detail.classification === "auth") {
        if (this.#lastConnectionError !== "auth") this.#log(`the server refused the API key: ${describeError(detail.error)} Uploads are paused; the data waits in the outbox.`);
        this.#lastConnectionError = "auth";
      } else if (detail.classification === "transient") {
        if (this.#lastConnectionError === "") {
          this.#log(`cannot reach the server (${describeError(detail.error, true)}): retrying; the data waits in the outbox.`);
        }
        this.#lastConnectionError = "transient";
      } else if (!("slices" in (detail as object))) {
        this.#log(`error: ${describeError(detail.error)}`);
      }
    });
    streamer.addEventListener("progress", () => {
      if (this.#lastConnectionError === "transient") this.#log("connected again: sending.");
      if (this.#lastConnectionError !== "auth") this.#lastConnectionError = "";
    });
    streamer.addEventListener("quarantine", (event) => {
      const detail = (event as CustomEvent<{ dataId: string; slices: Array<{ channel: string; chunkIndex: number; message: string }> }>).detail;
      for (const s of detail.slices.slice(0, 3)) this.#log(`the server refused ${s.channel} chunk ${s.chunkIndex} of ${detail.dataId}: ${s.message} (kept in the outbox).`);
    });
  }

  #statusText(): string {
    const streamer = this.#streamer!;
    const id = this.#dataId!;
    const stats = streamer.stats(id);
    const pending = [id, ...this.#earlier].reduce((n, d) => n + streamer.outbox.slices(d).filter((s) => !s.quarantined).length, 0);
    const others = [...this.#problems].filter(([k]) => k !== "bad line").map(([k, n]) => `${n} ${k}`);
    const connection = stats.connection === "idle" || stats.connection === "sending" ? "online" : stats.connection;
    return [
      `${this.#rate.rate().toFixed(1)} readings/s`,
      `${this.#read} read`,
      `${stats.acceptedPoints} saved`,
      `${stats.ackedPoints} sent`,
      `${plural(pending, "pending slice")}`,
      `${plural(stats.retries, "retry", "retries")}`,
      `${plural(this.#badLines, "bad line")}`,
      ...others,
      ...(stats.quarantined > 0 ? [`${stats.quarantined} refused`] : []),
      connection,
    ].join(" · ");
  }

  #summary(streamer: TimeseriesStreamer, ids: string[], results: Array<FinalizeResult | Error>, inputError: unknown): number {
    const dataId = ids[0]!;
    const stats = streamer.stats(dataId);
    const why = this.#stopReason || "input error";
    let code = inputError !== undefined ? 1 : 0;
    const lines: string[] = [];
    lines.push(
      `stopped (${why}): ${plural(this.#read, "reading")} read, ${plural(this.#badLines, "bad line")} skipped` +
        `${[...this.#problems].filter(([k]) => k !== "bad line").map(([k, n]) => `, ${n} ${k}`).join("")}; ${plural(stats.ackedPoints, "point")} sent.`,
    );
    ids.forEach((id, i) => {
      const result = results[i]!;
      const which = i === 0 ? `stream ${id}` : `earlier stream ${id}`;
      if (result instanceof Error) {
        code = 1;
        lines.push(`${which}: ${result.message}`);
        return;
      }
      if (result.quarantined.length > 0) {
        code = 1;
        lines.push(`${which}: the server refused ${plural(result.quarantined.length, "slice")} (kept in the outbox ${this.#config.outboxDir}): ${result.quarantined[0]!.quarantined?.message ?? ""}`);
      }
      if (result.status === "finalized") lines.push(`${which} finalized.`);
      else {
        if (code === 0) code = EXIT_PENDING;
        lines.push(`${which}: ${plural(result.unsent.length, "slice")} not sent within the finalize timeout — the finalize is deferred.`);
      }
    });
    if (code !== 0 && results.some((r) => !(r instanceof Error) && r.status === "deferred")) lines.push(this.#leftBehind());
    if (streamer.stats(dataId).connection === "auth-paused") {
      code = 1;
      lines.push("The server refused the API key: pass a valid --api-key (or ATOMSCALE_API_KEY) and run again on the same outbox to send the data.");
    }
    for (const line of lines) this.#log(line);
    return code;
  }
}

function describeError(error: unknown, short = false): string {
  if (error instanceof ApiError) {
    if (!short) return error.message;
    return error.status !== undefined ? `HTTP ${error.status}` : error.code === "network" ? "network error" : error.code;
  }
  if (error instanceof CsvHeaderError) return `the CSV file cannot be read: ${error.message}.`;
  if (error instanceof Error) return error.message;
  return String(error);
}
