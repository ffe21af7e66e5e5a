/**
 * CSV as spreadsheets write it: `;` separators with decimal commas read right; a decimal comma in a
 * comma-separated file is named in the error; a headerless file (a first row of numbers) is refused
 * before any stream is created. Parser pieces, then the built CLI against the emulator.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsvParser, detectDelimiter, parseNumberCell } from "../../lib/cli/csv.ts";
import { emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { requireDeno, skipDeno } from "../helpers/deno.js";
import { runCli, tempDir, type Runtime } from "./cli-process.js";

describe("CSV pieces", () => {
  it("the delimiter is the one the header holds most of, outside quotes", () => {
    expect(detectDelimiter("time;temperature[C];pressure[mbar]")).toBe(";");
    expect(detectDelimiter("time,temperature,pressure")).toBe(",");
    expect(detectDelimiter("time\ttemperature\tpressure")).toBe("\t");
    expect(detectDelimiter('time;"T, inner";p')).toBe(";");
    expect(detectDelimiter("single")).toBe(",");
  });

  it("decimal commas are read only where fields are not comma-separated", () => {
    expect(parseNumberCell("12,5", true)).toBe(12.5);
    expect(parseNumberCell("-1,5e-7", true)).toBe(-1.5e-7);
    expect(parseNumberCell(",5", true)).toBe(0.5);
    expect(parseNumberCell("12,5", false)).toBeUndefined();
    expect(parseNumberCell("1,234,5", true)).toBeUndefined();
    const problems: string[] = [];
    const semi = new CsvParser({ onProblem: (p) => problems.push(p.message) });
    semi.line({ text: "time;T[C];P", t: 0 });
    expect(semi.line({ text: "1764000000,5;600,25;2,5e-7", t: 0 })).toEqual([
      { channel: "T", t: 1764000000.5, value: 600.25, units: "C" },
      { channel: "P", t: 1764000000.5, value: 2.5e-7, units: undefined },
    ]);
    const comma = new CsvParser({ onProblem: (p) => problems.push(p.message) });
    comma.line({ text: "time,T", t: 0 });
    expect(comma.line({ text: "1764000000,600,25", t: 0 })).toEqual([]);
    expect(comma.line({ text: '1764000000,"600,25"', t: 0 })).toEqual([]);
    expect(problems).toEqual([
      'Skipped a row: 3 field(s) where the header has 2 (decimal commas? In a file whose fields are separated by ",", write 12.5; or separate the fields by ";" and keep 12,5).',
      'Skipped a row: T: "600,25" is not a number (a decimal comma: write 12.5, or separate the fields by ";").',
    ]);
  });

  it("a first row of numbers is not a header", () => {
    for (const row of ["1764000000,600.5,2e-7", "1764000000;600,5", "2025-11-24T16:00:00Z,1", "1,2"]) {
      expect(() => new CsvParser().line({ text: row, t: 0 }), row).toThrow(/holds numbers, not column names: the file needs a header row naming the columns/);
    }
    expect(() => new CsvParser().line({ text: "time,1st sensor", t: 0 })).not.toThrow();
  });
});

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

describe.each(["node", "deno"] as const)("stream --file with spreadsheet CSV, in %s", (runtime: Runtime) => {
  const skip = runtime === "deno" && skipDeno;

  it.skipIf(skip)('";" separators and decimal commas: the server holds the exact values and times', async () => {
    if (runtime === "deno") requireDeno();
    const dir = await tempDir("cli-csv-");
    const file = join(dir, "eu.csv");
    const T0 = 1_764_000_000;
    const rows = Array.from({ length: 30 }, (_, i) => ({ t: T0 + i / 4, temp: 600 + i / 8, p: (i + 1) * 1e-7 }));
    const fmt = (n: number) => String(n).replace(".", ",");
    await writeFile(file, `Zeit;T[°C];p[mbar]\r\n${rows.map((r) => `${fmt(r.t)};${fmt(r.temp)};${fmt(r.p)}`).join("\r\n")}\r\n`);
    const res = await runCli(["stream", "--file", file, "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", join(dir, "outbox"), "--channels", "T,p"], { runtime });
    // "Zeit" is not a time column name: it is left out by --channels; rows are stamped when read.
    expect(res.code, res.stderr).toBe(0);
    const back = await readBack(emu, res.stdout.trim());
    expect(back.properties.T?.values).toEqual(rows.map((r) => r.temp));
    expect(back.properties.p?.values).toEqual(rows.map((r) => r.p));
    expect(back.properties.T?.units).toBe("°C");

    const timed = join(dir, "eu-timed.csv");
    await writeFile(timed, `time;T[°C]\n${rows.map((r) => `${fmt(r.t)};${fmt(r.temp)}`).join("\n")}\n`);
    const res2 = await runCli(["stream", "--file", timed, "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", join(dir, "outbox")], { runtime });
    expect(res2.code, res2.stderr).toBe(0);
    const back2 = await readBack(emu, res2.stdout.trim());
    expect(back2.properties.T?.values).toEqual(rows.map((r) => r.temp));
    expect(back2.properties.T?.unix_timestamp_ms).toEqual(rows.map((r) => r.t * 1000));
  });

  it.skipIf(skip)("a headerless file is refused (exit 1) and leaves no stream on the platform", async () => {
    if (runtime === "deno") requireDeno();
    const dir = await tempDir("cli-csv-");
    const file = join(dir, "noheader.csv");
    await writeFile(file, "1764000000,600.5,2e-7\n1764000001,600.6,2.1e-7\n");
    const before = (await http(emu)("GET", "/data_entries/")).body.length as number;
    const res = await runCli(["stream", "--file", file, "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", join(dir, "outbox")], { runtime });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("the first row (1764000000,600.5,2e-7) holds numbers, not column names");
    expect(res.stdout).toBe("");
    expect((await http(emu)("GET", "/data_entries/")).body.length).toBe(before);
  });
});
