/** A poll's options checked (each wrong one named with its value) and filled in with their defaults. */
import { InvalidInputError } from "../input.js";
import type { PollSnapshot, PollTimeseriesOptions } from "./types.js";

export interface Settings {
  intervalMs: number;
  lastN: number | undefined;
  notFoundAsEmpty: boolean;
  distinctBy: ((snapshot: PollSnapshot) => unknown) | undefined;
  until: ((snapshot: PollSnapshot) => boolean) | undefined;
  maxPolls: number;
  fireImmediately: boolean;
  jitterMs: number;
  onError: PollTimeseriesOptions["onError"];
  signal: AbortSignal | undefined;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
}

export function checkOptions(o: PollTimeseriesOptions): Settings {
  const intervalMs = o.intervalMs ?? 1000;
  if (typeof intervalMs !== "number" || !Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new InvalidInputError("intervalMs", intervalMs, "must be a finite number of milliseconds > 0");
  }
  if (o.lastN !== undefined && (typeof o.lastN !== "number" || !Number.isSafeInteger(o.lastN) || o.lastN < 0)) {
    throw new InvalidInputError("lastN", o.lastN, "must be a whole number ≥ 0 when given");
  }
  const maxPolls = o.maxPolls ?? 0;
  if (typeof maxPolls !== "number" || !Number.isSafeInteger(maxPolls) || maxPolls < 0) {
    throw new InvalidInputError("maxPolls", o.maxPolls, "must be a whole number ≥ 0 (0: no limit)");
  }
  const jitterMs = o.jitterMs ?? 0;
  if (typeof jitterMs !== "number" || !Number.isFinite(jitterMs) || jitterMs < 0) {
    throw new InvalidInputError("jitterMs", jitterMs, "must be a finite number of milliseconds ≥ 0");
  }
  if (o.notFoundAsEmpty !== undefined && typeof o.notFoundAsEmpty !== "boolean") {
    throw new InvalidInputError("notFoundAsEmpty", o.notFoundAsEmpty, "must be true or false when given");
  }
  for (const name of ["distinctBy", "until", "onError", "now", "sleep", "random"] as const) {
    if (o[name] !== undefined && typeof o[name] !== "function") throw new InvalidInputError(name, o[name], "must be a function when given");
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new InvalidInputError("signal", o.signal, "must be an AbortSignal when given");
  }
  return {
    intervalMs,
    lastN: o.lastN,
    notFoundAsEmpty: o.notFoundAsEmpty ?? true,
    distinctBy: o.distinctBy,
    until: o.until,
    maxPolls,
    fireImmediately: o.fireImmediately ?? true,
    jitterMs: Math.min(jitterMs, intervalMs),
    onError: o.onError,
    signal: o.signal,
    now: o.now ?? (() => performance.now()),
    sleep: o.sleep ?? abortableSleep,
    random: o.random ?? Math.random,
  };
}

/** Resolves after `ms`, or as soon as `signal` aborts; the timer is cleared either way. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
