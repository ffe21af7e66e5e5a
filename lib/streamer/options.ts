/**
 * The streamer's options checked, with their defaults (each wrong one named in an InvalidInputError),
 * and its log: messages up to `verbosity` go to `logger` (by default the console, errors to stderr).
 */
import { InvalidInputError } from "../input.js";
import type { TimeseriesStreamerOptions } from "./types.js";

const LEVELS = { error: 1, info: 2, debug: 3, trace: 4 } as const;

export type LogLevel = keyof typeof LEVELS;

/** The numeric options of a streamer, checked, with their defaults. */
export interface CheckedOptions {
  pointsPerChunk: number;
  concurrency: number;
  verbosity: number;
  timeoutMs: number;
  initializeTimeoutMs: number;
  inDoubtMs: number;
}

export function checkOptions(options: TimeseriesStreamerOptions): CheckedOptions {
  const ppc = options.pointsPerChunk ?? 100;
  if (!Number.isSafeInteger(ppc) || ppc < 1) throw new InvalidInputError("pointsPerChunk", ppc, "must be a whole number ≥ 1");
  const concurrency = options.concurrency ?? 4;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new InvalidInputError("concurrency", concurrency, "must be a whole number ≥ 1");
  const verbosity = options.verbosity ?? 0;
  if (![0, 1, 2, 3, 4].includes(verbosity)) throw new InvalidInputError("verbosity", verbosity, "must be 0, 1, 2, 3 or 4");
  const timeoutMs = options.timeoutMs ?? 30_000;
  const initializeTimeoutMs = options.initializeTimeoutMs ?? 5000;
  if (!(initializeTimeoutMs >= 0)) throw new InvalidInputError("initializeTimeoutMs", initializeTimeoutMs, "must be a number of milliseconds ≥ 0");
  const inDoubtMs = options.inDoubtMs ?? Math.min(timeoutMs, 10_000);
  if (!(inDoubtMs >= 0)) throw new InvalidInputError("inDoubtMs", inDoubtMs, "must be a number of milliseconds ≥ 0");
  return { pointsPerChunk: ppc, concurrency, verbosity, timeoutMs, initializeTimeoutMs, inDoubtMs };
}

/**
 * A log that passes messages up to `verbosity` to `logger` (default: the console). A message may be a
 * function, called only when its level is logged (trace lines on the hot path cost nothing when off).
 */
export function leveledLog(logger: TimeseriesStreamerOptions["logger"], verbosity: number): (level: LogLevel, message: string | (() => string)) => void {
  const sink = logger ?? ((level: string, message: string) => (level === "error" ? console.error : console.log)(`atomscale-stream ${level}: ${message}`));
  return (level, message) => {
    if (LEVELS[level] <= verbosity) sink(level, typeof message === "function" ? message() : message);
  };
}
