/**
 * `atomscale-stream drain [--outbox DIR]`: send what an outbox holds and finalize the streams left in it
 * (a stream stopped during an outage, killed, or deferred), with the same progress output and exit
 * codes as `stream`; `--list` shows what is pending per stream and sends nothing.
 */
import { existsSync } from "node:fs";
import { FileOutbox } from "../outbox/file.js";
import { apiHelp, API_OPTIONS, credentials, parseCommand, secondsOption, usage } from "./args.js";
import { defaultOutboxDir } from "./data-dir.js";
import { describeError } from "./describe-error.js";
import { CliError } from "./errors.js";
import { StatusLine } from "./status-line.js";
import { EXIT_SECOND_SIGNAL } from "./stream-run.js";
import { pendingOf, plural, UploadSession, type FinalizeOutcome, type PendingOfStream } from "./upload-session.js";
import { versionLine } from "./version.js";
import { whileHandlingStopSignals } from "./stop-signals.js";

const COMMAND = "drain";

const OPTIONS = {
  outbox: { type: "string" },
  list: { type: "boolean" },
  "keep-open": { type: "boolean" },
  timeout: { type: "string" },
  "log-interval": { type: "string" },
  ...API_OPTIONS,
} as const;

function help(): string {
  return `Usage: atomscale-stream drain [--outbox DIR] [options]

Sends what an outbox holds — the data an earlier "atomscale-stream stream" could not send (an outage,
a deferred finalize, a kill) — and finalizes the streams left in it, then exits. Progress goes to
stderr as with "stream" (a status line on a terminal, a log line every few seconds otherwise).

Options:
  --outbox DIR          the outbox (default ${defaultOutboxDir()})
  --list                show what is pending per stream (data id, phase, endpoint, slices, points,
                        refused) and send nothing; needs no API key
  --keep-open           send the data of open streams but leave them open, to continue them with
                        "stream --resume" (default: finalize them too)
  --timeout S           how long to wait for everything to be sent (default 60)
  --log-interval S      without a terminal: a progress line every S seconds (default 5)
${apiHelp(22)}

Only streams of the endpoint given (--endpoint or AS_API_ENDPOINT) are sent; --list shows the others.

Exit codes:
  0    everything sent and finalized (or nothing was pending)
  1    error (the server refused the key, a finalize or some data, …)
  2    usage error
  3    data still pending after --timeout (no connection): it stays in the outbox; run drain again
  130  stopped at once by a second signal`;
}

export async function drainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(COMMAND, argv, OPTIONS);
  if (values.help) {
    console.log(help());
    return 0;
  }
  if (values.version) {
    console.log(versionLine());
    return 0;
  }
  if (positionals.length > 0) throw usage(COMMAND, `unexpected argument ${JSON.stringify(positionals[0])} (the outbox is --outbox DIR).`);
  if (values.outbox === "") throw usage(COMMAND, "--outbox needs a directory.");
  const dir = values.outbox ?? defaultOutboxDir();
  const timeoutMs = secondsOption(COMMAND, "--timeout", values.timeout, 60, 0, 86_400 * 7, true) * 1000;
  const logIntervalMs = secondsOption(COMMAND, "--log-interval", values["log-interval"], 5, 0, 3600) * 1000;
  if (values.list) {
    if (values["keep-open"]) throw usage(COMMAND, "--list sends nothing; drop --keep-open.");
    return listOutbox(dir);
  }
  if (!existsSync(dir)) {
    process.stderr.write(`atomscale-stream: drain: there is no outbox at ${dir}: nothing to send.\n`);
    return 0;
  }
  return new DrainRun(dir, credentials(COMMAND, values), { keepOpen: values["keep-open"] === true, timeoutMs, logIntervalMs }).run();
}

/** `--list`: one row per stream with something left to do (or finalized with refused slices). */
async function listOutbox(dir: string): Promise<number> {
  if (!existsSync(dir)) {
    process.stderr.write(`atomscale-stream: drain: there is no outbox at ${dir}: nothing is pending.\n`);
    return 0;
  }
  const outbox = new FileOutbox({ dir });
  try {
    await outbox.open();
  } catch (error) {
    throw new CliError(`drain: cannot open the outbox ${dir}: ${describeError(error)}.`, 1, { cause: error, code: "outbox_unavailable" });
  }
  try {
    const rows = outbox
      .streams()
      .map((s) => pendingOf(outbox, s))
      .filter((p) => p.phase !== "finalized" || p.slices > 0 || p.quarantined > 0);
    if (rows.length === 0) {
      process.stderr.write(`atomscale-stream: drain: the outbox ${dir} holds nothing to send.\n`);
      return 0;
    }
    process.stdout.write(`${listTable(rows)}\n`);
    const points = rows.reduce((n, r) => n + r.points, 0);
    process.stderr.write(`atomscale-stream: drain: ${plural(rows.length, "stream")}, ${plural(points, "point")} to send in ${dir}. Run "atomscale-stream drain --outbox ${dir}" to send them.\n`);
    return 0;
  } finally {
    await outbox.close();
  }
}

export function listTable(rows: readonly PendingOfStream[]): string {
  const header = ["DATA ID", "PHASE", "SLICES", "POINTS", "REFUSED", "ENDPOINT"];
  const cells = rows.map((r) => [r.dataId, r.phase, String(r.slices), String(r.points), String(r.quarantined), r.endpoint]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const fmt = (c: string[]) => c.map((v, i) => (i >= 2 && i <= 4 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join("  ").trimEnd();
  return [fmt(header), ...cells.map(fmt)].join("\n");
}

interface DrainOptions {
  keepOpen: boolean;
  timeoutMs: number;
  logIntervalMs: number;
}

class DrainRun {
  readonly #dir: string;
  readonly #creds: ReturnType<typeof credentials>;
  readonly #options: DrainOptions;
  readonly #stop = new AbortController();
  #signals = 0;
  #session: UploadSession | undefined;
  #status: StatusLine | undefined;
  #ids: string[] = [];

  constructor(dir: string, creds: ReturnType<typeof credentials>, options: DrainOptions) {
    this.#dir = dir;
    this.#creds = creds;
    this.#options = options;
  }

  #log(message: string): void {
    if (this.#status) this.#status.log(message);
    else process.stderr.write(`atomscale-stream: ${message}\n`);
  }

  async run(): Promise<number> {
    try {
      return await whileHandlingStopSignals((signal) => this.#onSignal(signal === "SIGINT" ? "Ctrl+C" : signal), () => this.#run());
    } finally {
      this.#status?.stop();
      await this.#session?.streamer.close().catch(() => {});
    }
  }

  #onSignal(name: string): void {
    if (++this.#signals === 1) {
      this.#log(`${name}: stopping — what is not sent stays in the outbox ${this.#dir}. ${name === "Ctrl+C" ? "Ctrl+C" : "Signal"} again to exit at once.`);
      this.#stop.abort();
      return;
    }
    this.#status?.stop();
    process.stderr.write(`atomscale-stream: ${name} again: exiting at once; what is not sent stays in the outbox ${this.#dir}.\n`);
    process.exit(EXIT_SECOND_SIGNAL);
  }

  async #run(): Promise<number> {
    const session = await UploadSession.open(this.#dir, this.#creds, 100, (m) => this.#log(m));
    this.#session = session;
    const elsewhere = session.elsewhere();
    if (elsewhere.length > 0) {
      const endpoints = [...new Set(elsewhere.map((s) => s.endpoint))];
      this.#log(`${plural(elsewhere.length, "stream")} in the outbox belong${elsewhere.length === 1 ? "s" : ""} to ${endpoints.join(", ")}, not ${session.endpoint}: drain them with --endpoint ${endpoints[0]}.`);
    }
    const streams = session.unfinished();
    this.#ids = streams.map((s) => s.dataId);
    if (streams.length === 0) {
      this.#log(`the outbox ${this.#dir} holds nothing to send to ${session.endpoint}.`);
      return 0;
    }
    const open = new Set(streams.filter((s) => s.phase === "open").map((s) => s.dataId));
    const points = this.#ids.reduce((n, id) => n + session.notSent(id), 0);
    this.#log(
      `sending ${plural(points, "point")} (${plural(session.pendingSlices(this.#ids), "slice")}) of ${plural(streams.length, "stream")} to ${session.endpoint}` +
        `${this.#options.keepOpen && open.size > 0 ? `; ${plural(open.size, "open stream")} stay${open.size === 1 ? "s" : ""} open` : ", then finalizing"}; outbox ${this.#dir}`,
    );
    this.#status = new StatusLine(() => this.#statusText(), { logIntervalMs: this.#options.logIntervalMs });

    const finalizing = this.#ids.filter((id) => !(this.#options.keepOpen && open.has(id)));
    const flushing = this.#ids.filter((id) => this.#options.keepOpen && open.has(id));
    const stopped = new Promise<"stopped">((resolve) => this.#stop.signal.addEventListener("abort", () => resolve("stopped"), { once: true }));
    const deadline = AbortSignal.any([this.#stop.signal, AbortSignal.timeout(Math.max(1, this.#options.timeoutMs))]);
    const work = Promise.all([
      session.finalizeAll(finalizing, this.#options.timeoutMs),
      Promise.all(flushing.map((id) => session.streamer.flush(id, { signal: deadline }).then(() => true, () => false))),
    ]);
    const done = await Promise.race([work, stopped]);
    this.#status.stop();
    this.#status.snapshot();

    const results: Array<FinalizeOutcome | Error> = done === "stopped" ? finalizing.map((id) => this.#resultNow(id)) : done[0];
    const outcome = session.outcome(finalizing, results, (id) => `stream ${id}`);
    let code = outcome.code;
    const lines = [`${plural(this.#ids.reduce((n, id) => n + session.streamer.stats(id).ackedPoints, 0), "point")} sent.`, ...outcome.lines];
    flushing.forEach((id, i) => {
      const sent = done !== "stopped" && done[1][i] === true;
      if (sent) lines.push(`stream ${id}: everything sent; left open (continue it with "atomscale-stream stream --resume --outbox ${this.#dir}").`);
      else {
        if (code === 0) code = 3;
        lines.push(`stream ${id}: ${plural(session.notSent(id), "point")} not yet sent; left open.`);
      }
    });
    if (code === 3) lines.push(`What is not sent stays in the outbox ${this.#dir}: run "atomscale-stream drain --outbox ${this.#dir}" again when the platform can be reached.`);
    for (const line of lines) this.#log(line);
    return code;
  }

  /** A stream's result as it stands (after a stop). */
  #resultNow(dataId: string): FinalizeOutcome {
    const outbox = this.#session!.outbox;
    const mine = outbox.slices(dataId);
    const quarantined = mine.filter((s) => s.quarantined);
    const finalized = outbox.getStream(dataId)?.phase === "finalized";
    return { status: finalized ? "finalized" : "deferred", unsent: finalized ? [] : mine.filter((s) => !s.quarantined), quarantined };
  }

  #statusText(): string {
    const session = this.#session!;
    const acked = this.#ids.reduce((n, id) => n + session.streamer.stats(id).ackedPoints, 0);
    const notSent = this.#ids.reduce((n, id) => n + session.notSent(id), 0);
    const retries = this.#ids.reduce((n, id) => n + session.streamer.stats(id).retries, 0);
    const finalized = this.#ids.filter((id) => session.outbox.getStream(id)?.phase === "finalized").length;
    const platform = session.platform === "platform unreachable" && session.cause ? `platform unreachable (${session.cause})` : session.platform;
    return [
      `${acked} sent`,
      `${notSent} to send`,
      plural(session.pendingSlices(this.#ids), "pending slice"),
      plural(retries, "retry", "retries"),
      `${finalized}/${this.#ids.length} finalized`,
      platform,
    ].join(" · ");
  }
}

