/**
 * `atomscale-stream stream --help`, assembled from sections (a driver's own options can add one).
 */
import { driverOptionsHelp } from "./driver-options.js";
import { apiHelp } from "./args.js";
import { defaultOutboxDir } from "./data-dir.js";

/** One titled block of the help (the title line, then its lines as they are). */
export interface HelpSection {
  title: string;
  lines: string[];
}

const USAGE = `Usage: atomscale-stream stream (--device PATH | --stdin | - | --file PATH) [options]

Streams instrument readings to the Atomscale platform: from a serial device, from standard input
(plotter lines: values separated by spaces, commas or tabs, "# name[units] …" header lines,
name:value or name=value pairs) or from a CSV file. Every reading is written to an outbox on disk
before it is sent: an outage, a crash or Ctrl+C loses nothing, and what was not sent yet is sent by
the next run on the same outbox (or by "atomscale-stream drain"). The stream is created on the
platform with the first valid reading, and starts even while the platform cannot be reached (it is
created, and everything sent, when the platform is back). Prints the stream's data id on stdout;
progress goes to stderr (a live status line on a terminal, a log line every few seconds otherwise).`;

export const INPUT_HELP: HelpSection = {
  title: "Input (one of):",
  lines: [
    "  --device PATH           a serial device, configured with stty and opened read/write. Prefer the",
    "                          stable name under /dev/serial/by-id/ (e.g. /dev/serial/by-id/usb-FTDI_…-if00-port0)",
    "                          over /dev/ttyUSB0: it survives unplugging and re-enumeration. When the device",
    "                          disappears or fails (unplugged, adapter reset, EIO) the stream stays open:",
    '                          "waiting for PATH to come back", then the same path is reopened with the same',
    "                          settings and the stream continues. Only a signal ends the run, unless",
    "  --exit-on-disconnect    end the run (finalize, exit 1) when the device goes away instead",
    "  --stdin, -              standard input, read with --driver lines",
    "  --file PATH             a CSV file: a header row names the columns; a column named time, timestamp",
    "                          or t (no units) holds each row's time (epoch seconds or ISO 8601), else a row is",
    "                          stamped when it is read; every other column is a channel. Fields separated",
    '                          by ",", ";" or tabs; "1,5" decimal commas are read in ";"-separated files',
  ],
};

export const SERIAL_HELP: HelpSection = {
  title: "Serial line (--device; default: the driver's usual settings):",
  lines: [
    "  --baud N                baud rate (default: the driver's, listed under Drivers below)",
    "  --data-bits 7|8",
    "  --parity none|even|odd",
    "  --stop-bits 1|2",
  ],
};

export function driverHelp(): HelpSection {
  return {
    title: "Instrument:",
    lines: [
      "  --driver ID             one of the drivers listed under Drivers below (default lines); polled drivers need --device",
      "  --channels LIST         name[:units],…  lines: the names of bare columns, in order (an instrument's own",
      "                          header or labels win, and the run says so once); a polled driver: one name per",
      "                          value it reads, in order; --file: only these columns, with these units",
      "  --interval SECONDS      polled drivers: keep at most one reading per interval (default: every reply)",
      "  (each driver's own options — --command, --address, --inputs, --register, … — are listed under Drivers)",
      "",
      ...driverOptionsHelp(),
    ],
  };
}

export const STREAM_HELP: HelpSection = {
  title: "Stream:",
  lines: [
    "  --name TEXT             stream name (default: the input and the time)",
    "  --physical-sample S     link a physical sample: its name (created if missing) or its UUID",
    '  --instrument ID         growth instrument id (synth_source_id; "atomscale-stream instruments" lists them)',
    "  --project UUID          project (with --physical-sample: the project tracks the sample)",
    "  --points-per-chunk N    points per chunk (default 100)",
    "  --resume                continue the most recent open stream in the outbox instead of starting a new",
    "                          one (without it, open streams an earlier run left are finalized once sent)",
    `  --outbox DIR            where data waits until the server has it (default ${defaultOutboxDir()});`,
    "                          one running stream per directory",
    "  --finalize-timeout S    on stop: how long to wait for pending data to be sent (default 30)",
    "  --log-interval S        without a terminal: a progress line every S seconds (default 5)",
  ],
};

const STOPPING = `Stopping: Ctrl+C (SIGINT) or SIGTERM stops reading, saves the open chunk, sends what is pending and
finalizes the stream. A second Ctrl+C exits at once: unsent data stays in the outbox, and the next
run on the same outbox sends it (and finalizes the stream, or continues it with --resume), as does
"atomscale-stream drain --outbox DIR". Bad lines are counted, reported and skipped, never fatal.

Exit codes:
  0    finished: the stream is finalized, everything read is on the platform
  1    error (the input failed, no valid reading was read, the server refused the key or some data, …)
  2    usage error
  3    stopped with data still pending (no connection): the finalize is deferred; the data is in
       the outbox and the next run on it (or "atomscale-stream drain") sends it and finalizes the stream
  130  stopped at once by a second signal; pending data is in the outbox for the next run`;

/** The help text, with `extra` sections (e.g. per-driver options) after the instrument's. */
export function streamHelp(extra: HelpSection[] = []): string {
  const sections = [INPUT_HELP, SERIAL_HELP, driverHelp(), ...extra, STREAM_HELP, { title: "", lines: [apiHelp(24)] }];
  // A section without a title has no title line; blank lines inside a section stay.
  const body = sections.map((s) => [s.title, ...s.lines].filter((l, i) => i > 0 || l !== "").join("\n")).join("\n\n");
  return `${USAGE}\n\n${body}\n\n${STOPPING}`;
}
