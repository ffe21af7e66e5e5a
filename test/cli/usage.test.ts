/** The `stream` and `poll` commands' help, usage errors, API key handling and small pieces (no server needed, mostly). */
import { describe, expect, it } from "vitest";
import { defaultOutboxDir } from "../../lib/cli/data-dir.ts";
import { sttyArgs } from "../../lib/cli/device.ts";
import { CsvParser, parseTimeCell, splitCsvLine } from "../../lib/cli/csv.ts";
import { StatusLine } from "../../lib/cli/status-line.ts";
import { requireDeno, skipDeno } from "../helpers/deno.js";
import { runCli, tempDir } from "./cli-process.js";

const KEY = ["--api-key", "k-not-used"];

describe("help", () => {
  it("the top-level help lists stream and poll", async () => {
    const top = await runCli(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^\s+stream\s+stream a serial instrument, stdin or a CSV file/m);
    expect(top.stdout).toMatch(/^\s+poll\s+print a stream's points as they arrive/m);
    expect(top.stdout).toMatch(/^\s+serve\s+/m);
    expect(top.stdout).toMatch(/^\s+drain\s+send what an outbox holds/m);
    expect(top.stdout).toMatch(/^\s+instruments\s+list the growth instruments \(id, name, type\)/m);
  });

  it("stream --help documents every flag and the exit codes", async () => {
    const help = await runCli(["stream", "--help"]);
    expect(help.code).toBe(0);
    for (const flag of [
      "--device PATH", "--baud N", "--data-bits", "--parity", "--stop-bits", "--stdin", "--file PATH", "--driver ID", "--channels",
      "--command", "--address", "--name", "--physical-sample", "--instrument", "--project", "--points-per-chunk", "--outbox DIR",
      "--resume", "--finalize-timeout", "--api-key", "--endpoint", "ATOMSCALE_API_KEY", "AS_API_KEY", "AS_API_ENDPOINT",
      "--exit-on-disconnect", "/dev/serial/by-id/", "waiting for PATH to come back", "--version", "atomscale-stream instruments", "atomscale-stream drain",
    ]) expect(help.stdout, flag).toContain(flag);
    for (const driver of ["lines", "pfeiffer-tpg26x", "lakeshore-33x", "scpi", "impac"]) expect(help.stdout).toContain(driver);
    expect(help.stdout).toMatch(/^ {2}0 +finished: the stream is finalized/m);
    expect(help.stdout).toMatch(/^ {2}1 +error/m);
    expect(help.stdout).toMatch(/^ {2}2 +usage error/m);
    expect(help.stdout).toMatch(/^ {2}3 +stopped with data still pending/m);
    expect(help.stdout).toMatch(/^ {2}130 +stopped at once by a second signal/m);
    expect(help.stdout).toContain(defaultOutboxDir());
  });

  it("poll --help documents its flags", async () => {
    const help = await runCli(["poll", "-h"]);
    expect(help.code).toBe(0);
    for (const flag of ["<dataId>", "--interval SECONDS", "--last-n N", "--once", "--json", "--api-key", "--endpoint"]) expect(help.stdout).toContain(flag);
  });

  it.skipIf(skipDeno)("works in Deno too", async () => {
    requireDeno();
    const help = await runCli(["stream", "--help"], { runtime: "deno" });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain("--device PATH");
    const missing = await runCli(["poll", "x"], { runtime: "deno" });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--api-key");
  });
});

describe("usage errors exit 2 and name the problem", () => {
  const cases: Array<[string[], string]> = [
    [["stream", ...KEY], "no input: give --device PATH, --stdin (or -), or --file PATH"],
    [["stream", "--stdin", "--file", "x.csv", ...KEY], "choose one input, not --stdin and --file"],
    [["stream", "-", "extra", ...KEY], 'unexpected argument "extra"'],
    [["stream", "--stdin", "--driver", "nope", ...KEY], 'Unknown instrument driver "nope". Use one of: lines, pfeiffer-tpg26x'],
    [["stream", "--stdin", "--driver", "pfeiffer-tpg26x", ...KEY], "--driver pfeiffer-tpg26x queries the instrument, so it needs --device PATH"],
    [["stream", "--file", "x.csv", "--driver", "lines", ...KEY], "--driver applies to --device and --stdin; --file reads CSV"],
    [["stream", "--device", "/dev/null", "--baud", "12345", ...KEY], "--baud 12345 is not a standard rate"],
    [["stream", "--device", "/dev/null", "--baud", "fast", ...KEY], '--baud must be a whole number from 1 to 4000000, got "fast"'],
    [["stream", "--device", "/dev/null", "--parity", "mark", ...KEY], '--parity must be one of none, even, odd, got "mark"'],
    [["stream", "--device", "/dev/null", "--data-bits", "9", ...KEY], '--data-bits must be one of 7, 8, got "9"'],
    [["stream", "--stdin", "--baud", "9600", ...KEY], "--baud applies to --device only"],
    [["stream", "--stdin", "--exit-on-disconnect", ...KEY], "--exit-on-disconnect applies to --device only"],
    [["drain", "extra", ...KEY], 'unexpected argument "extra"'],
    [["drain", "--list", "--keep-open"], "--list sends nothing; drop --keep-open"],
    [["instruments", "x", ...KEY], 'unexpected argument "x"'],
    [["stream", "--device", "/dev/null", "--driver", "scpi", ...KEY], "--command: The SCPI driver needs the query to send"],
    [["stream", "--device", "/dev/null", "--driver", "pfeiffer-tpg26x", "--address", "9", ...KEY], "--address: The Pfeiffer gauge must be a number from 1 to 6"],
    [["stream", "--stdin", "--command", "MEAS?", ...KEY], "--command applies to --driver scpi, not lines"],
    [["stream", "--stdin", "--channels", "a,,b", ...KEY], "--channels takes name[:units],…"],
    [["stream", "--stdin", "--channels", "a,a", ...KEY], '--channels names "a" twice'],
    [["stream", "--stdin", "--resume", "--name", "x", ...KEY], "--resume continues an existing stream, whose --name cannot change now"],
    [["stream", "--stdin", "--project", "p1", ...KEY], '--project must be a project UUID, got "p1"'],
    [["stream", "--stdin", "--points-per-chunk", "0", ...KEY], "--points-per-chunk must be a whole number from 1 to 2147483647"],
    [["stream", "--stdin", "--finalize-timeout", "soon", ...KEY], "--finalize-timeout must be a number of seconds"],
    [["stream", "--stdin", "--colour", ...KEY], "Unknown option '--colour'"],
    [["stream", "--stdin", "--endpoint", "ftp://x", ...KEY], '--endpoint must be an http(s) URL, got "ftp://x"'],
    [["poll", "id", "--interval", "0", ...KEY], "--interval must be a number of seconds above 0"],
    [["poll", "id", "--last-n", "-1", ...KEY], "--last-n needs a value"],
    [["poll", "id", "--last-n", "0", ...KEY], "--last-n must be a whole number from 1"],
    [["poll", "a", "b", ...KEY], 'one data id at a time; unexpected "b"'],
  ];
  it.concurrent.each(cases)("%j", async (args, message) => {
    const res = await runCli(args);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toContain(message);
    expect(res.stderr.trim().split("\n").length, res.stderr).toBeLessThanOrEqual(2); // a message, not the whole help
  });

  it("a missing API key names the flag and the environment variables, for stream and for poll", async () => {
    for (const args of [["stream", "--stdin"], ["poll", "some-id"]]) {
      const res = await runCli(args);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain("no API key: pass --api-key KEY, or set ATOMSCALE_API_KEY (or AS_API_KEY) in the environment.");
    }
  });

  it("an input that cannot be opened is an error (exit 1) and starts no stream; the key is never printed", async () => {
    const secret = "sk-do-not-print-me-1234";
    const device = await runCli(["stream", "--device", "/nonexistent/ttyUSB9", "--api-key", secret]);
    expect(device.code).toBe(1);
    expect(device.stderr).toContain("cannot open the device /nonexistent/ttyUSB9: no such file");
    const notTty = await runCli(["stream", "--device", "/dev/null", "--api-key", secret, "--outbox", await tempDir("cli-outbox-")]);
    expect(notTty.code).toBe(1);
    expect(notTty.stderr).toMatch(/cannot configure \/dev\/null with "stty -F \/dev\/null 115200 cs8 -cstopb -parenb raw -echo clocal"/);
    const file = await runCli(["stream", "--file", "/nonexistent.csv", "--api-key", secret]);
    expect(file.code).toBe(1);
    expect(file.stderr).toContain("cannot read /nonexistent.csv: no such file");
    for (const r of [device, notTty, file]) expect(r.stderr + r.stdout).not.toContain(secret);
  });
});

describe("pieces", () => {
  it("the default outbox is a per-user data directory", () => {
    expect(defaultOutboxDir({ platform: "linux", env: { XDG_DATA_HOME: "/data/u" }, home: "/home/u" })).toBe("/data/u/atomscale-stream/outbox");
    expect(defaultOutboxDir({ platform: "linux", env: {}, home: "/home/u" })).toBe("/home/u/.local/share/atomscale-stream/outbox");
    expect(defaultOutboxDir({ platform: "linux", env: { XDG_DATA_HOME: "relative" }, home: "/home/u" })).toBe("/home/u/.local/share/atomscale-stream/outbox");
    expect(defaultOutboxDir({ platform: "darwin", env: {}, home: "/Users/u" })).toBe("/Users/u/Library/Application Support/atomscale-stream/outbox");
    expect(defaultOutboxDir({ platform: "win32", env: { LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }, home: "C:\\Users\\u" })).toBe(
      "C:\\Users\\u\\AppData\\Local\\atomscale-stream\\outbox",
    );
  });

  it("stty is given the line settings", () => {
    expect(sttyArgs("/dev/ttyUSB0", { baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1 }, "linux")).toEqual(
      ["-F", "/dev/ttyUSB0", "9600", "cs8", "-cstopb", "-parenb", "raw", "-echo", "clocal"],
    );
    expect(sttyArgs("/dev/ttyS1", { baudRate: 57600, dataBits: 7, parity: "odd", stopBits: 2 }, "linux")).toEqual(
      ["-F", "/dev/ttyS1", "57600", "cs7", "cstopb", "parenb", "parodd", "raw", "-echo", "clocal"],
    );
    expect(sttyArgs("/dev/cu.usbserial", { baudRate: 19200, dataBits: 8, parity: "even", stopBits: 1 }, "darwin").slice(0, 2)).toEqual(["-f", "/dev/cu.usbserial"]);
  });

  it("the status line: redrawn in place on a terminal (log-update), messages above it, cut to the width; plain lines otherwise", async () => {
    let tty = "";
    let n = 0;
    const live = new StatusLine(() => `${++n} read`, { output: { isTTY: true, columns: 40, write: (t: string) => (tty += t) }, redrawMs: 20 });
    await new Promise((r) => setTimeout(r, 70));
    live.log("bad line: x");
    await new Promise((r) => setTimeout(r, 30));
    live.stop();
    const ERASE = "\x1b[2K\x1b[1A\x1b[2K\x1b[G"; // erase the line drawn before, go back up to it
    expect(tty.startsWith("\x1b[?2026h1 read\n")).toBe(true);
    expect(tty).toContain(`${ERASE}2 read\n`); // redrawn in place
    expect(tty).toMatch(/\x1b\[G\x1b\[\?2026latomscale-stream: bad line: x\n\x1b\[\?2026h\d+ read\n/); // erased, the message, drawn again below it
    expect(tty.endsWith(`${ERASE}\x1b[?2026l`)).toBe(true); // erased when stopped
    // Every status line drawn is erased before the next one: one line on screen at a time.
    expect(tty.split(/\d+ read\n/).length - 1).toBe(tty.split(ERASE).length - 1);
    let narrow = "";
    const cut = new StatusLine(() => "0123456789abcdefghij", { output: { isTTY: true, columns: 12, write: (t: string) => (narrow += t) }, redrawMs: 10 });
    await new Promise((r) => setTimeout(r, 30));
    cut.stop();
    expect(narrow).toContain("0123456789…\n");
    expect(narrow).not.toContain("0123456789a");
    let plain = "";
    const log = new StatusLine(() => "5 read", { output: { isTTY: false, write: (t: string) => (plain += t) }, logIntervalMs: 20 });
    await new Promise((r) => setTimeout(r, 50));
    log.log("hello");
    log.stop();
    expect(plain).toMatch(/^(atomscale-stream: 5 read\n)+atomscale-stream: hello\n$/);
    expect(plain).not.toContain("\r");
    expect(plain).not.toContain("\x1b");
  });

  it("CSV: quotes, delimiters, time cells", () => {
    expect(splitCsvLine('1, "a, b" ,"say ""hi""",', ",")).toEqual(["1", "a, b", 'say "hi"', ""]);
    expect(splitCsvLine('"open', ",")).toBeUndefined();
    expect(parseTimeCell("1764000000.25")).toBe(1764000000.25);
    expect(parseTimeCell("2025-11-24T16:00:00.5Z")).toBe(1764000000.5);
    expect(parseTimeCell("1764000000250")).toEqual({ problem: expect.stringContaining("looks like milliseconds") });
    const problems: string[] = [];
    const parser = new CsvParser({ onProblem: (p) => problems.push(p.message) });
    expect(parser.line({ text: "Timestamp;T[K];P", t: 5 })).toEqual([]);
    expect(parser.line({ text: "1764000000;77.5;", t: 5 })).toEqual([{ channel: "T", t: 1764000000, value: 77.5, units: "K" }]);
    expect(parser.line({ text: "1764000001;x;1", t: 5 })).toEqual([]);
    expect(problems).toEqual(['Skipped a row: T: "x" is not a number.']);
  });
});
