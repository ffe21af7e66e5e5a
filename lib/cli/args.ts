/** What the `stream` and `poll` commands share: option parsing, credentials, numbers. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { DEFAULT_ENDPOINT } from "../api/client.js";
import { CliError, USAGE_EXIT } from "./errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The options every API-using command takes. */
export const API_OPTIONS = {
  "api-key": { type: "string" },
  endpoint: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const satisfies Options;

/** Help lines of the API options, with the flag column `width` wide. */
export function apiHelp(width: number): string {
  return [
    ["--api-key KEY", "the API key (default: $ATOMSCALE_API_KEY, else $AS_API_KEY); never printed"],
    ["--endpoint URL", `the API's base URL (default: $AS_API_ENDPOINT, else ${DEFAULT_ENDPOINT})`],
    ["-h, --help", "show this help"],
    ["--version", "print the version of atomscale-stream"],
  ]
    .map(([flag, text]) => `  ${flag!.padEnd(width)}${text}`)
    .join("\n");
}

/** `parseArgs`, strict; a parse error is a usage error naming the command and pointing to its help. */
export type ParsedCommand<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>>;

export function parseCommand<O extends Options>(command: string, argv: string[], options: O): ParsedCommand<O> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (error) {
    const text = (error as Error).message;
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(text);
    const message = ambiguous
      ? `${ambiguous[1]} needs a value (for a value that starts with a dash, write ${ambiguous[1]}=VALUE).`
      : text.split("\n")[0]!.replace(/\s*To specify .*$/, "").trim();
    throw new CliError(`${command}: ${message}\nRun "atomscale-stream ${command} --help" for its options.`, USAGE_EXIT);
  }
}

export function usage(command: string, message: string): CliError {
  return new CliError(`${command}: ${message}`, USAGE_EXIT);
}

/** The runtime's environment variables (Node's `process.env`, which Deno provides too). */
export function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
}

export interface Credentials {
  apiKey: string;
  endpoint: string;
}

/** `--api-key` / `ATOMSCALE_API_KEY` / `AS_API_KEY` and `--endpoint` / `AS_API_ENDPOINT`. A missing key is a usage error. */
export function credentials(command: string, values: { "api-key"?: string | undefined; endpoint?: string | undefined }): Credentials {
  const apiKey = values["api-key"] ?? env("ATOMSCALE_API_KEY") ?? env("AS_API_KEY");
  if (apiKey === undefined || apiKey.trim() === "") {
    throw usage(command, "no API key: pass --api-key KEY, or set ATOMSCALE_API_KEY (or AS_API_KEY) in the environment.");
  }
  const endpoint = values.endpoint ?? env("AS_API_ENDPOINT") ?? DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw usage(command, `--endpoint must be an http(s) URL, got ${JSON.stringify(endpoint)}.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw usage(command, `--endpoint must be an http(s) URL, got ${JSON.stringify(endpoint)}.`);
  }
  return { apiKey: apiKey.trim(), endpoint: endpoint.replace(/\/+$/, "") };
}

/** A whole number in [min, max], or `fallback` when the option is absent. */
export function integerOption(command: string, name: string, raw: string | undefined, fallback: number, min: number, max: number): number;
export function integerOption(command: string, name: string, raw: string | undefined, fallback: undefined, min: number, max: number): number | undefined;
export function integerOption(command: string, name: string, raw: string | undefined, fallback: number | undefined, min: number, max: number) {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max) {
    throw usage(command, `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}.`);
  }
  return n;
}

/** A number of seconds (decimals allowed) in (min, max] — or [min, max] with `allowMin` — or `fallback`. */
export function secondsOption(command: string, name: string, raw: string | undefined, fallback: number, min: number, max: number, allowMin = false): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw.trim()) || !(allowMin ? n >= min : n > min) || n > max) {
    throw usage(command, `${name} must be a number of seconds ${allowMin ? "from" : "above"} ${min} ${allowMin ? "to" : "and at most"} ${max}, got ${JSON.stringify(raw)}.`);
  }
  return n;
}

/** One of `choices`, or `fallback`. */
export function choiceOption<T extends string>(command: string, name: string, raw: string | undefined, choices: readonly T[], fallback: T): T;
export function choiceOption<T extends string>(command: string, name: string, raw: string | undefined, choices: readonly T[], fallback: undefined): T | undefined;
export function choiceOption<T extends string>(command: string, name: string, raw: string | undefined, choices: readonly T[], fallback: T | undefined) {
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw usage(command, `${name} must be one of ${choices.join(", ")}, got ${JSON.stringify(raw)}.`);
  }
  return raw as T;
}

/** Resolve when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** Wait `ms`, or less if `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
