/**
 * The `stream` command's options: the parseArgs table (sections that spread together, so a driver's
 * own options can join) and the checks that turn them into a `StreamConfig`, or a usage error naming
 * the option and the value.
 */
import type { DriverOptions, InstrumentDriver } from "../serial/driver.js";
import { getDriver } from "../serial/instruments/index.js";
import { API_OPTIONS, choiceOption, integerOption, secondsOption, usage, type ParsedCommand } from "./args.js";
import { defaultOutboxDir } from "./data-dir.js";
import { BAUD_RATES, type LineSettings } from "./device.js";
import { DRIVER_OPTION_FLAGS, driverOptions as buildDriverOptions } from "./driver-options.js";

export const COMMAND = "stream";

export const INPUT_OPTIONS = {
  device: { type: "string" },
  stdin: { type: "boolean" },
  file: { type: "string" },
  "exit-on-disconnect": { type: "boolean" },
} as const;

export const SERIAL_OPTIONS = {
  baud: { type: "string" },
  "data-bits": { type: "string" },
  parity: { type: "string" },
  "stop-bits": { type: "string" },
} as const;

export const DRIVER_OPTIONS = DRIVER_OPTION_FLAGS;

export const STREAM_OPTIONS = {
  name: { type: "string" },
  "physical-sample": { type: "string" },
  instrument: { type: "string" },
  project: { type: "string" },
  "points-per-chunk": { type: "string" },
  outbox: { type: "string" },
  resume: { type: "boolean" },
  "finalize-timeout": { type: "string" },
  "log-interval": { type: "string" },
} as const;

export const OPTIONS = { ...INPUT_OPTIONS, ...SERIAL_OPTIONS, ...DRIVER_OPTIONS, ...STREAM_OPTIONS, ...API_OPTIONS } as const;

export type StreamValues = ParsedCommand<typeof OPTIONS>["values"];

export type Input = { kind: "device"; path: string; line: LineSettings } | { kind: "stdin" } | { kind: "file"; path: string };

export interface StreamConfig {
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
  exitOnDisconnect: boolean;
  outboxDir: string;
  finalizeTimeoutMs: number;
  logIntervalMs: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `name[:units],…` */
export function parseChannels(raw: string): { channels: string[]; units: Record<string, string> } {
  const channels: string[] = [];
  const units: Record<string, string> = Object.create(null) as Record<string, string>;
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

function checkInputChoice(values: StreamValues, positionals: string[]): void {
  const extra = positionals.filter((p) => p !== "-");
  if (extra.length > 0) throw usage(COMMAND, `unexpected argument ${JSON.stringify(extra[0])} (the input is --device PATH, --stdin or -, or --file PATH).`);
  const wantsStdin = values.stdin === true || positionals.includes("-");
  const chosen = [values.device !== undefined && "--device", wantsStdin && "--stdin", values.file !== undefined && "--file"].filter(Boolean);
  if (chosen.length === 0) throw usage(COMMAND, "no input: give --device PATH, --stdin (or -), or --file PATH. See --help.");
  if (chosen.length > 1) throw usage(COMMAND, `choose one input, not ${chosen.join(" and ")}.`);
  if (values.device === "" || values.file === "") throw usage(COMMAND, `${values.device === "" ? "--device" : "--file"} needs a path.`);
  if (values["exit-on-disconnect"] && values.device === undefined) throw usage(COMMAND, "--exit-on-disconnect applies to --device only.");
}

function checkDriver(values: StreamValues, wantsStdin: boolean): InstrumentDriver {
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
  return driver;
}

function checkLine(values: StreamValues, driver: InstrumentDriver): LineSettings {
  const baudRate = integerOption(COMMAND, "--baud", values.baud, driver.serial.baudRate, 1, 4_000_000);
  if (!(BAUD_RATES as readonly number[]).includes(baudRate)) {
    throw usage(COMMAND, `--baud ${baudRate} is not a standard rate; use one of ${BAUD_RATES.filter((b) => b >= 1200).join(", ")}.`);
  }
  return {
    baudRate,
    dataBits: Number(choiceOption(COMMAND, "--data-bits", values["data-bits"], ["7", "8"] as const, String(driver.serial.dataBits ?? 8) as "7" | "8")) as 7 | 8,
    parity: choiceOption(COMMAND, "--parity", values.parity, ["none", "even", "odd"] as const, driver.serial.parity ?? "none"),
    stopBits: Number(choiceOption(COMMAND, "--stop-bits", values["stop-bits"], ["1", "2"] as const, String(driver.serial.stopBits ?? 1) as "1" | "2")) as 1 | 2,
  };
}

/** Every option checked; a usage error (exit 2) names the first one wrong and its value. */
export function checkStreamConfig(values: StreamValues, positionals: string[]): StreamConfig {
  checkInputChoice(values, positionals);
  const wantsStdin = values.stdin === true || positionals.includes("-");
  const driver = checkDriver(values, wantsStdin);
  for (const flag of ["baud", "data-bits", "parity", "stop-bits"] as const) {
    if (values[flag] !== undefined && values.device === undefined) throw usage(COMMAND, `--${flag} applies to --device only.`);
  }
  const { channels, units } = values.channels !== undefined ? parseChannels(values.channels) : { channels: undefined, units: {} };

  const input: Input =
    values.device !== undefined
      ? { kind: "device", path: values.device, line: checkLine(values, driver) }
      : values.file !== undefined
        ? { kind: "file", path: values.file }
        : { kind: "stdin" };

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
    exitOnDisconnect: values["exit-on-disconnect"] === true,
    outboxDir: values.outbox ?? defaultOutboxDir(),
    finalizeTimeoutMs: secondsOption(COMMAND, "--finalize-timeout", values["finalize-timeout"], 30, 0, 86_400, true) * 1000,
    logIntervalMs: secondsOption(COMMAND, "--log-interval", values["log-interval"], 5, 0, 3600) * 1000,
  };
}
