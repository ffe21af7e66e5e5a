/**
 * One run of `atomscale-stream stream`: the outbox and streamer, the input piped through the validating
 * stream into the stream's writable (the stream is created on the platform with the first valid
 * reading), signals, the bounded finalize and the summary with its exit code.
 */
import { ApiError } from "../api/errors.js";
import type { DriverProblem } from "../serial/driver.js";
import { SampleLinkError } from "../streamer/errors.js";
import { ValidateReadingsStream, type InvalidReading } from "../streams/validate-readings.js";
import type { Reading } from "../types.js";
import type { Credentials } from "./args.js";
import { checkCsvHeader } from "./csv.js";
import { describeError } from "./describe-error.js";
import { CliError } from "./errors.js";
import { RateMeter, StatusLine } from "./status-line.js";
import { InstrumentInput, type InputState } from "./stream-input.js";
import type { StreamConfig } from "./stream-options.js";
import { defaultName, describeInput, leftBehind, statusText, stoppedLine, type RunCounts } from "./stream-report.js";
import { plural, UploadSession } from "./upload-session.js";
import { whileHandlingStopSignals } from "./stop-signals.js";

export const EXIT_SECOND_SIGNAL = 130;

export class StreamRun {
  readonly #config: StreamConfig;
  readonly #creds: Credentials;
  readonly #stop = new AbortController();
  #stopReason = "";
  #signals = 0;
  #input: InstrumentInput | undefined;
  #session: UploadSession | undefined;
  #status: StatusLine | undefined;
  #dataId: string | undefined;
  /** Streams an earlier run left unfinished (on this endpoint): finalized once their data is sent. */
  #earlier: string[] = [];
  #read = 0;
  #badLines = 0;
  readonly #problems = new Map<string, number>();
  readonly #rate = new RateMeter();
  #saidChannels = false;

  constructor(config: StreamConfig, creds: Credentials) {
    this.#config = config;
    this.#creds = creds;
  }

  #log(message: string): void {
    if (this.#status) this.#status.log(message);
    else process.stderr.write(`atomscale-stream: ${message}\n`);
  }

  async run(): Promise<number> {
    try {
      return await whileHandlingStopSignals((signal) => this.#onSignal(signal), () => this.#run());
    } finally {
      this.#status?.stop();
      this.#input?.close();
      await this.#session?.streamer.close().catch(() => {});
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
      this.#session?.streamer.retryNow();
      return;
    }
    this.#status?.stop();
    const left = this.#session ? leftBehind(this.#session, this.#dataId, this.#earlier) : "Nothing was saved yet.";
    process.stderr.write(`atomscale-stream: ${name} again: exiting at once. ${left}\n`);
    process.exit(EXIT_SECOND_SIGNAL);
  }

  #counts(): RunCounts {
    return { read: this.#read, badLines: this.#badLines, problems: this.#problems, rate: this.#rate.rate() };
  }

  async #run(): Promise<number> {
    const config = this.#config;
    // The input first: a wrong device or file fails before anything else.
    const hooks = {
      log: (message: string) => this.#log(message),
      problem: (p: DriverProblem) => this.#problem(p),
      info: (message: string) => {
        // The driver said it (the channels it names itself): the sink need not say it again.
        if (/channel/i.test(message)) this.#saidChannels = true;
        this.#log(message);
      },
      state: (_: InputState) => this.#status?.redraw(),
    };
    this.#input = await InstrumentInput.open(config, this.#stop.signal, hooks);
    const input = config.input;
    if (input.kind === "file") {
      await checkCsvHeader(input.path, { columns: config.channels, units: config.units }).catch((error: Error) => {
        throw new CliError(`cannot stream ${input.path}: the CSV file cannot be read: ${describeError(error)}.`, 1, { cause: error, code: "input" });
      });
    }

    const session = await UploadSession.open(config.outboxDir, this.#creds, config.pointsPerChunk, (m) => this.#log(m));
    this.#session = session;
    const streamer = session.streamer;
    const endpoint = session.endpoint;

    // Streams an earlier run left in the outbox (for this endpoint).
    const unfinished = session.unfinished();
    if (config.resume) {
      const open = unfinished.filter((s) => s.phase === "open").sort((a, b) => b.updatedAt - a.updatedAt)[0];
      if (!open) {
        throw new CliError(`--resume: the outbox ${config.outboxDir} holds no open stream for ${endpoint} to continue. Run without --resume to start a new stream.`, 1, { code: "resume" });
      }
      this.#dataId = open.dataId;
    }
    this.#earlier = unfinished.map((s) => s.dataId).filter((id) => id !== this.#dataId);
    for (const state of unfinished) {
      if (state.dataId !== this.#dataId && state.phase === "open") await streamer.finalize(state.dataId, { timeoutMs: 0 }).catch(() => {});
    }
    if (this.#earlier.length > 0) {
      this.#log(
        `the outbox holds ${plural(this.#earlier.length, "unfinished stream")} from ${this.#earlier.length === 1 ? "an earlier run" : "earlier runs"} (${plural(session.pendingSlices(this.#earlier), "slice")} to send): ` +
          `sending and finalizing ${this.#earlier.length === 1 ? "it" : "them"} alongside.`,
      );
    }
    const elsewhere = session.elsewhere();
    if (elsewhere.length > 0) {
      const endpoints = [...new Set(elsewhere.map((s) => s.endpoint))];
      this.#log(`the outbox also holds ${plural(elsewhere.length, "stream")} of ${endpoints.join(", ")}: run "atomscale-stream drain --outbox ${config.outboxDir} --endpoint ${endpoints[0]}" to send ${elsewhere.length === 1 ? "it" : "them"}.`);
    }

    if (this.#dataId !== undefined) {
      console.log(this.#dataId);
      const ppc = streamer.outbox.getStream(this.#dataId)?.pointsPerChunk || config.pointsPerChunk;
      this.#log(`continuing stream ${this.#dataId} on ${endpoint} (${ppc} points per chunk); reading ${describeInput(config)}; outbox ${session.outbox.dir}`);
    } else {
      this.#log(`reading ${describeInput(config)}; the stream starts on ${endpoint} with the first valid reading; outbox ${session.outbox.dir}`);
    }
    this.#status = new StatusLine(() => statusText(session, config, this.#counts(), this.#input!.state, this.#dataId, this.#earlier), { logIntervalMs: config.logIntervalMs });

    await this.#pump();
    const inputError = this.#input.error;
    if (inputError !== undefined) this.#log(`input stopped: ${describeError(inputError)}.`);
    if (!this.#stop.signal.aborted) this.#stopReason = inputError !== undefined ? "input error" : "end of input";

    // Stop: the open chunk is sealed into the outbox; send, then finalize (bounded).
    const ids = this.#dataId !== undefined ? [this.#dataId, ...this.#earlier] : [...this.#earlier];
    const results = await session.finalizeAll(ids, config.finalizeTimeoutMs);
    this.#status.stop();
    this.#status.snapshot();
    return this.#summary(ids, results, inputError);
  }

  /** input → ValidateReadingsStream → the stream's writable (made on the first valid reading). */
  async #pump(): Promise<void> {
    const session = this.#session!;
    let writer: WritableStreamDefaultWriter<Reading | Reading[]> | undefined;
    const sink = new WritableStream<Reading[]>({
      write: async (batch) => {
        if (!writer) {
          if (this.#dataId === undefined) await this.#start();
          writer = session.streamer.writable(this.#dataId!, { finalizeOnClose: false }).getWriter();
        }
        this.#checkChannels(batch);
        await writer.write(batch);
        this.#read += batch.length;
        this.#rate.add(batch.length);
      },
      close: async () => {
        await writer?.close(); // seals the open chunks into the outbox
      },
      abort: async (reason) => {
        await writer?.abort(reason).catch(() => {});
      },
    });
    const validate = new ValidateReadingsStream({ onInvalid: (invalid) => this.#invalid(invalid) });
    try {
      await this.#input!.readings.pipeThrough(validate).pipeTo(sink);
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`cannot save readings in the outbox ${this.#config.outboxDir}: ${describeError(error)}.`, 1, { cause: error, code: "outbox_write" });
    }
  }

  /** Create the stream (the first valid reading is here); offline, the platform's stream is created when it is back. */
  async #start(): Promise<void> {
    const config = this.#config;
    const session = this.#session!;
    const endpoint = session.endpoint;
    let dataId: string;
    try {
      dataId = await session.streamer.initialize({
        streamName: config.name ?? defaultName(config),
        ...(config.physicalSample !== undefined ? { physicalSample: config.physicalSample } : {}),
        ...(config.synthSourceId !== undefined ? { synthSourceId: config.synthSourceId } : {}),
        ...(config.projectId !== undefined ? { projectId: config.projectId } : {}),
      });
    } catch (error) {
      const created = error instanceof SampleLinkError ? error.dataId : undefined;
      if (created === undefined) throw new CliError(`cannot start a stream on ${endpoint}: ${initializeAdvice(error, endpoint)}`, 1, { cause: error, code: "initialize" });
      dataId = created;
      this.#log(`warning: ${describeError(error, endpoint)}.`);
    }
    this.#dataId = dataId;
    if (this.#status) this.#status.around(() => console.log(dataId));
    else console.log(dataId);
    const offline = session.platform === "platform unreachable" ? " (the platform cannot be reached: recording; the stream is created and everything sent when it is back)" : "";
    this.#log(`streaming to stream ${dataId} on ${endpoint} (${config.pointsPerChunk} points per chunk)${offline}.`);
  }

  /** Say once when the instrument names its channels itself, over --channels. */
  #checkChannels(batch: readonly Reading[]): void {
    const wanted = this.#config.channels;
    if (this.#saidChannels || !wanted || this.#config.input.kind === "file") return;
    const own = batch.map((r) => r.channel).filter((c) => !wanted.includes(c));
    if (own.length === 0) return;
    this.#saidChannels = true;
    const names = [...new Set(own)];
    this.#log(`the instrument names its channels itself (${names.join(", ")}): its header or labels win over --channels ${wanted.join(",")}.`);
  }

  #invalid(invalid: InvalidReading): void {
    const t = (invalid.reading as { t?: unknown })?.t;
    this.#problem({ kind: "bad-line", message: `Skipped a reading: ${invalid.message}`, t: typeof t === "number" ? t : Date.now() / 1000 });
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

  #summary(ids: string[], results: ReturnType<UploadSession["finalizeAll"]> extends Promise<infer R> ? R : never, inputError: unknown): number {
    const session = this.#session!;
    const dataId = this.#dataId;
    const sent = dataId !== undefined ? session.streamer.stats(dataId).ackedPoints : 0;
    const lines = [stoppedLine(this.#stopReason, this.#counts(), sent)];
    const outcome = session.outcome(ids, results, (id) => (id === dataId ? `stream ${id}` : `earlier stream ${id}`));
    let code = outcome.code;
    lines.push(...outcome.lines);
    if (dataId === undefined) {
      // Nothing valid was read: no stream was created (none is left empty on the platform).
      code = 1;
      lines.push(
        this.#badLines > 0
          ? `no valid reading: every one of the ${plural(this.#badLines, "line")} read was refused, so no stream was created. Check the input's format (see --help).`
          : "no reading was read, so no stream was created.",
      );
    }
    if (inputError !== undefined) code = code === 0 || code === 3 ? 1 : code;
    if (code !== 0 && results.some((r) => !(r instanceof Error) && r.status !== "finalized")) lines.push(leftBehind(session, dataId, this.#earlier));
    for (const line of lines) this.#log(line);
    return code;
  }
}

const REFUSED_KEY_AT_START = "Check the key (--api-key, or ATOMSCALE_API_KEY / AS_API_KEY) and run the same command again with a valid one; nothing was sent.";

/** Why initialize failed, and what to do: --endpoint on a 404, the key on a 401/403. */
function initializeAdvice(error: unknown, endpoint: string): string {
  const text = describeError(error, endpoint);
  if (error instanceof ApiError && error.status === 404) {
    return `${text}. Is --endpoint the API's base URL (e.g. https://api.atomscale.ai, or http://127.0.0.1:8765 for "atomscale-stream serve")? It is ${endpoint}.`;
  }
  if (error instanceof ApiError && error.classification === "auth") return `${text}. ${REFUSED_KEY_AT_START}`;
  return `${text}.`;
}
