/** `atomscale-stream poll <dataId>`: print a stream's points as they arrive, each once. */
import { AtomscaleClient, DEFAULT_STREAM_PREFIX, type StreamPrefix } from "../api/client.js";
import { ApiError } from "../api/errors.js";
import type { Timeseries } from "../api/types.js";
import { pollTimeseries } from "../poll.js";
import { apiHelp, API_OPTIONS, credentials, integerOption, parseCommand, secondsOption, usage } from "./args.js";
import { describeError } from "./describe-error.js";
import { CliError } from "./errors.js";
import { versionLine } from "./version.js";

const COMMAND = "poll";

const OPTIONS = {
  interval: { type: "string" },
  "last-n": { type: "string" },
  once: { type: "boolean" },
  json: { type: "boolean" },
  "stream-prefix": { type: "string" },
  ...API_OPTIONS,
} as const;

const HELP = `Usage: atomscale-stream poll <dataId> [options]

Reads a stream back while it is written and prints each point once, as it arrives: a table
(time in ISO 8601 UTC, channel, value, units), or with --json one JSON object per line:
{"channel": …, "t": <Unix epoch seconds>, "value": …, "units": … | null}. Stops on Ctrl+C.

Options:
  --interval SECONDS    time between two reads (default 2)
  --last-n N            read only the last N points of each channel (points that scroll past N
                        between two reads are not printed)
  --once                read once, print, and exit
  --json                one JSON object per line instead of the table
  --stream-prefix P     read from P only: /tool-state or /metrology (default: /tool-state, and
                        /metrology when the platform does not know the stream under /tool-state)
${apiHelp(22)}

Exit codes: 0 done (--once, or stopped with Ctrl+C), 1 error (unknown stream, refused key, …), 2 usage error.`;

export interface PolledPoint {
  channel: string;
  /** Unix epoch seconds. */
  t: number;
  value: number;
  units: string | null;
}

/**
 * Remembers which points were printed. A point is told apart by its channel, time, value and its
 * occurrence among the answer's points with that same time and value — so two distinct points that
 * share a timestamp both print (and so does a reading the instrument really sent twice), while a partial
 * chunk replaced by the full one, or a chunk that arrives after a later one, prints nothing twice.
 */
export class NewPoints {
  /** Per channel: how many points with each (time ms, value) were printed. */
  readonly #seen = new Map<string, Map<string, number>>();

  /** The points of this answer not returned before, by time then channel. */
  take(timeseries: Timeseries): PolledPoint[] {
    const out: PolledPoint[] = [];
    for (const [channel, property] of Object.entries(timeseries.properties)) {
      let seen = this.#seen.get(channel);
      if (!seen) this.#seen.set(channel, (seen = new Map()));
      const inAnswer = new Map<string, number>();
      const n = Math.min(property.values.length, property.unixTimestampMs.length);
      for (let i = 0; i < n; i++) {
        const ms = property.unixTimestampMs[i];
        const value = property.values[i];
        if (ms === null || ms === undefined || value === null || value === undefined) continue;
        const key = `${ms}\u0000${Object.is(value, -0) ? 0 : value}`;
        const occurrence = (inAnswer.get(key) ?? 0) + 1;
        inAnswer.set(key, occurrence);
        if (occurrence <= (seen.get(key) ?? 0)) continue;
        seen.set(key, occurrence);
        out.push({ channel, t: ms / 1000, value, units: property.units });
      }
    }
    // Stable: points of one channel at one time keep their order on the server.
    return out.sort((a, b) => a.t - b.t || (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
  }
}

const TIME_WIDTH = 24;

/** One table row: `2024-01-15T09:30:00.000Z  temperature       600.25  °C`. */
export function tableRow(point: PolledPoint, channelWidth: number): string {
  return `${new Date(point.t * 1000).toISOString().padEnd(TIME_WIDTH)}  ${point.channel.padEnd(channelWidth)}  ${String(point.value).padStart(14)}  ${point.units ?? ""}`.trimEnd();
}

export function tableHeader(channelWidth: number): string {
  return `${"TIME".padEnd(TIME_WIDTH)}  ${"CHANNEL".padEnd(channelWidth)}  ${"VALUE".padStart(14)}  UNITS`;
}

export async function pollCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(COMMAND, argv, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.version) {
    console.log(versionLine());
    return 0;
  }
  if (positionals.length === 0) throw usage(COMMAND, "which stream? Give its data id: atomscale-stream poll <dataId>. See --help.");
  if (positionals.length > 1) throw usage(COMMAND, `one data id at a time; unexpected ${JSON.stringify(positionals[1])}.`);
  const dataId = positionals[0]!.trim();
  if (dataId === "" || /[\s/?#]/.test(dataId)) throw usage(COMMAND, `${JSON.stringify(positionals[0])} is not a data id.`);
  const intervalMs = secondsOption(COMMAND, "--interval", values.interval, 2, 0, 86_400) * 1000;
  const lastN = integerOption(COMMAND, "--last-n", values["last-n"], undefined, 1, Number.MAX_SAFE_INTEGER);
  const { apiKey, endpoint } = credentials(COMMAND, values);

  const forced = values["stream-prefix"];
  if (forced !== undefined && forced !== "/tool-state" && forced !== "/metrology") {
    throw usage(COMMAND, `--stream-prefix must be /tool-state or /metrology, got ${JSON.stringify(forced)}.`);
  }
  const clientAt = (streamPrefix: StreamPrefix) => new AtomscaleClient({ apiKey, endpoint, streamPrefix, timeoutMs: Math.max(10_000, intervalMs) });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const points = new NewPoints();
  let channelWidth = 16;
  let headed = false;
  let failing = false;
  /** Whether any read was answered (then a later 404 is not a question of the prefix). */
  let answered = false;
  const follow = async (client: AtomscaleClient): Promise<void> => {
    for await (const snapshot of pollTimeseries(client, dataId, {
      intervalMs,
      ...(lastN !== undefined ? { lastN } : {}),
      ...(values.once ? { maxPolls: 1 } : {}),
      // The user typed this id: a stream the server does not know is an error here, not "no data yet".
      notFoundAsEmpty: false,
      signal: stop.signal,
      onError: values.once
        ? undefined
        : (error) => {
            // Only a passing network problem is waited out; anything else ends the command.
            if (!(error instanceof ApiError) || error.classification !== "transient") throw error;
            if (!failing) process.stderr.write(`atomscale-stream: poll: ${describeError(error, endpoint)}. Retrying every ${intervalMs / 1000} s.\n`);
            failing = true;
          },
    })) {
      answered = true;
      if (failing) process.stderr.write("atomscale-stream: poll: reading again.\n");
      failing = false;
      const fresh = points.take(snapshot.timeseries);
      if (values.json) {
        for (const p of fresh) process.stdout.write(`${JSON.stringify(p)}\n`);
        continue;
      }
      if (fresh.length === 0) continue;
      const widest = Math.max(...fresh.map((p) => p.channel.length));
      if (!headed || widest > channelWidth) {
        channelWidth = Math.max(channelWidth, widest);
        process.stdout.write(`${tableHeader(channelWidth)}\n`);
        headed = true;
      }
      process.stdout.write(fresh.map((p) => `${tableRow(p, channelWidth)}\n`).join(""));
    }
  };
  try {
    try {
      await follow(clientAt(forced ?? DEFAULT_STREAM_PREFIX));
    } catch (error) {
      // As the streamer does at initialize: a platform that serves streams only under the former
      // /metrology prefix answers 404 under /tool-state. Asked once, before any answer; never when forced.
      if (forced !== undefined || answered || !(error instanceof ApiError) || error.status !== 404) throw error;
      await follow(clientAt("/metrology"));
    }
  } catch (error) {
    if (error instanceof ApiError) {
      const what =
        error.status === 404
          ? `no stream ${dataId} on ${endpoint} (HTTP 404${forced === undefined ? " under /tool-state and /metrology" : ` under ${forced}`}). Check the data id, and that --endpoint is the API the stream was sent to.`
          : error.classification === "auth"
            ? `the server refused the API key (HTTP ${error.status}). Check the key (--api-key, or ATOMSCALE_API_KEY / AS_API_KEY) and run the command again.`
            : `${describeError(error, endpoint)}.`;
      throw new CliError(`poll: ${what}`, 1, { cause: error });
    }
    throw error;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (values.once && !headed && !values.json) process.stderr.write(`atomscale-stream: poll: stream ${dataId} has no points yet.\n`);
  return 0;
}
