/**
 * What `stream` says about itself: the status line (device state, counts, connection), the closing
 * summary, and what a stop leaves in the outbox for the next run.
 */
import { basename } from "node:path";
import type { InputState } from "./stream-input.js";
import type { StreamConfig } from "./stream-options.js";
import { plural, type UploadSession } from "./upload-session.js";

/** The counters of one run. */
export interface RunCounts {
  /** Valid readings saved in the outbox. */
  read: number;
  badLines: number;
  /** Other problems by kind (timeouts, status replies …). */
  problems: ReadonlyMap<string, number>;
  /** Readings per second, recently. */
  rate: number;
}

export function describeInput(config: StreamConfig): string {
  const { input, driver } = config;
  if (input.kind === "file") return `${input.path} (CSV)`;
  if (input.kind === "stdin") return `stdin (${driver.id})`;
  const { line } = input;
  return `${input.path} (${driver.id}, ${line.baudRate} baud, ${line.dataBits}${line.parity[0]!.toUpperCase()}${line.stopBits})`;
}

export function defaultName(config: StreamConfig): string {
  const { input, driver } = config;
  const what = input.kind === "file" ? basename(input.path) : input.kind === "stdin" ? `stdin ${driver.id}` : `${basename(input.path)} ${driver.id}`;
  return `${what} ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The input's state as the status line names it. */
export function inputStateText(config: StreamConfig, state: InputState): string {
  if (state === "waiting" && config.input.kind === "device") return `waiting for ${config.input.path} to come back`;
  return state === "reading" ? "reading" : "input ended";
}

/** `12.0 readings/s · 240 read · 240 saved · 200 sent · 1 pending slice · 0 retries · 0 bad lines · reading · online` */
export function statusText(session: UploadSession, config: StreamConfig, counts: RunCounts, input: InputState, dataId: string | undefined, earlier: readonly string[]): string {
  const others = [...counts.problems].filter(([k]) => k !== "bad line").map(([k, n]) => `${n} ${k}`);
  const platform = session.platform === "platform unreachable" && session.cause ? `platform unreachable (${session.cause})` : session.platform;
  const head = [`${counts.rate.toFixed(1)} readings/s`, `${counts.read} read`];
  if (dataId === undefined) {
    return [...head, "no stream yet (it starts with the first valid reading)", plural(counts.badLines, "bad line"), ...others, inputStateText(config, input), platform].join(" · ");
  }
  const stats = session.streamer.stats(dataId);
  return [
    ...head,
    `${stats.acceptedPoints} saved`,
    `${stats.ackedPoints} sent`,
    plural(session.pendingSlices([dataId, ...earlier]), "pending slice"),
    plural(stats.retries, "retry", "retries"),
    plural(counts.badLines, "bad line"),
    ...others,
    ...(stats.quarantined > 0 ? [`${stats.quarantined} refused`] : []),
    inputStateText(config, input),
    platform,
  ].join(" · ");
}

/** The first line of the summary: why it stopped and what was read and sent. */
export function stoppedLine(why: string, counts: RunCounts, sent: number): string {
  const others = [...counts.problems].filter(([k]) => k !== "bad line").map(([k, n]) => `, ${n} ${k}`).join("");
  return `stopped (${why}): ${plural(counts.read, "reading")} read, ${plural(counts.badLines, "bad line")} skipped${others}; ${plural(sent, "point")} sent.`;
}

/** What a stop leaves in the outbox, and what the next run does with it. */
export function leftBehind(session: UploadSession, dataId: string | undefined, earlier: readonly string[]): string {
  const dir = session.outboxDir;
  const outbox = session.outbox;
  const next = `e.g. atomscale-stream drain --outbox ${dir}, or the next atomscale-stream stream --outbox ${dir} …`;
  const parts: string[] = [];
  if (dataId === undefined) parts.push("No stream was started.");
  else {
    const slices = outbox.pendingCount(dataId);
    const points = session.notSent(dataId);
    const phase = outbox.getStream(dataId)?.phase;
    if (slices > 0) {
      const then = phase === "open" ? `finalizes stream ${dataId} (or continues it with --resume)` : `finalizes stream ${dataId}`;
      parts.push(
        `${plural(points, "point")} (${plural(slices, "slice")}) not yet sent are saved in the outbox ${dir}: nothing is lost — the next run on it sends them and ${then} (${next}).`,
      );
    } else if (phase !== "finalized") {
      parts.push(`Stream ${dataId} is not finalized yet: the next run on the outbox ${dir} finalizes it (${next}).`);
    } else parts.push(`Stream ${dataId} is finalized; nothing of it is pending.`);
  }
  const waiting = earlier.filter((id) => outbox.getStream(id)?.phase !== "finalized");
  if (waiting.length > 0) {
    parts.push(`${plural(waiting.length, "earlier stream")} (${plural(session.pendingSlices(waiting), "slice")}) also wait${waiting.length === 1 ? "s" : ""} there for the next run.`);
  }
  return parts.join(" ");
}
