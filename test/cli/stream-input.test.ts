/**
 * `atomscale-stream stream` from stdin and from a CSV file, its stops (end of input, Ctrl+C, a second
 * Ctrl+C, SIGKILL) and what the next run on the same outbox does — against the emulator, through the
 * fault proxy for outages, reading the server back value by value.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { readBack } from "../helpers/readback.js";
import { runCli, startCli, tempDir, type CliProcess } from "./cli-process.js";

let emu: RunningEmulator;
let proxy: FaultProxy;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
  proxy = await startFaultProxy({ target: emu.url });
});
afterAll(async () => {
  await proxy?.close();
  await emu?.stop();
});

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
/** Plotter lines `i 1000+i` for i in [from, to). */
const lines = (from: number, to: number) => range(from, to).map((i) => `${i} ${1000 + i}\n`).join("");
const HEADER = "# a[C] b[mbar]\n";

async function pipelineStatus(dataId: string): Promise<string> {
  const entry = await http(emu)("GET", `/data_entries/?data_ids=${dataId}`);
  return entry.body[0]?.pipeline_status as string;
}

/** The stream holds exactly a = values, b = 1000 + values, in order, and is finalized. */
async function expectExact(dataId: string, values: number[]) {
  const back = await readBack(emu, dataId);
  expect(back.properties.a?.values, `a of ${dataId}`).toEqual(values);
  expect(back.properties.b?.values, `b of ${dataId}`).toEqual(values.map((v) => 1000 + v));
  expect(back.properties.a?.units).toBe("C");
  expect(await pipelineStatus(dataId)).toBe("success");
}

/** A CLI run on stdin through the proxy, with fast progress lines. */
function stdinRun(outbox: string, extra: string[] = []): CliProcess {
  const chunking = extra.includes("--resume") ? [] : ["--points-per-chunk", "40"]; // a resumed stream keeps its own
  return startCli(["stream", "--stdin", "--api-key", emu.apiKey, "--endpoint", proxy.url, "--outbox", outbox, "--log-interval", "0.2", ...chunking, ...extra]);
}

describe("stream from stdin and from a file", () => {
  it("stdin: plotter lines until the end of input; bad lines are counted and reported, not fatal; exit 0 with the stream finalized", async () => {
    const input = `${HEADER}${lines(0, 30)}sensor glitch\n${lines(30, 60)}7 NaN\n\n1.2.3 4\n${lines(60, 95)}`;
    const project = "7d3c1f9e-2b4a-4c8d-9e6f-1a2b3c4d5e6f";
    const stream = ["--name", "stdin run", "--physical-sample", "GaN-CLI-001", "--instrument", "1", "--project", project];
    const res = await runCli(["stream", "-", "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", await tempDir("cli-outbox-"), "--points-per-chunk", "40", ...stream], { input });
    expect(res.code, res.stderr).toBe(0);
    const dataId = res.stdout.trim();
    expect(dataId).toMatch(/^[0-9a-f-]{36}$/);
    await expectExact(dataId, range(0, 95));
    // The stream was started with its name, growth instrument and sample, tracked in the project.
    const entry = (await http(emu)("GET", `/data_entries/?data_ids=${dataId}`)).body[0];
    expect(entry).toMatchObject({ raw_name: "stdin run", synth_source_id: 1, physical_sample_name: "GaN-CLI-001" });
    const tracking = (await http(emu)("GET", `/projects/${project}/configuration`)).body;
    expect(tracking.active_tracking_physical_sample_id).toBe(entry.physical_sample_id);
    expect(res.stderr).toContain('bad line: Skipped a line: "sensor" is not a number. ("sensor glitch")');
    expect(res.stderr).toMatch(/stopped \(end of input\): 190 readings read, 3 bad lines skipped; 190 points sent\./);
    expect(res.stderr).toContain(`stream ${dataId} finalized.`);
    expect(res.stderr).toMatch(/3 bad lines · (reading|input ended) · online/); // the progress line counts them too
  });

  it("--file: a CSV with a time column gives the server those exact timestamps; bad rows are counted, the rest goes through", async () => {
    const dir = await tempDir("cli-csv-");
    const file = join(dir, "growth.csv");
    const T0 = 1_764_000_000;
    const rows = range(0, 150).map((i) => ({ t: T0 + i * 0.25, temp: 600 + i / 8, rate: i % 3 === 0 ? "" : String(0.5 + i / 100) }));
    const csv = [
      "Time,substrate_temperature[C],growth_rate",
      ...rows.slice(0, 70).map((r) => `${r.t},${r.temp},${r.rate}`),
      `${T0 + 99},oops,1`, // not a number
      `${(T0 + 100) * 1000},1,2`, // milliseconds
      `${T0 + 101},1`, // a field short
      ...rows.slice(70).map((r) => `${r.t},${r.temp},${r.rate}`),
    ].join("\r\n");
    await writeFile(file, `\uFEFF${csv}\r\n`);
    const res = await runCli(["stream", "--file", file, "--channels", "growth_rate:nm/s,substrate_temperature", "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", join(dir, "outbox"), "--points-per-chunk", "64"]);
    expect(res.code, res.stderr).toBe(0);
    const dataId = res.stdout.trim();
    const back = await readBack(emu, dataId);
    const temp = back.properties.substrate_temperature!;
    expect(temp.values).toEqual(rows.map((r) => r.temp));
    expect(temp.unix_timestamp_ms).toEqual(rows.map((r) => r.t * 1000));
    expect(temp.units).toBe("C");
    const withRate = rows.filter((r) => r.rate !== "");
    const rate = back.properties.growth_rate!;
    expect(rate.values).toEqual(withRate.map((r) => Number(r.rate)));
    expect(rate.unix_timestamp_ms).toEqual(withRate.map((r) => r.t * 1000));
    expect(rate.units).toBe("nm/s");
    expect(Object.keys(back.properties).sort()).toEqual(["growth_rate", "substrate_temperature"]);
    expect(res.stderr).toContain('substrate_temperature: "oops" is not a number');
    expect(res.stderr).toContain("looks like milliseconds");
    expect(res.stderr).toContain("2 field(s) where the header has 3");
    expect(res.stderr).toMatch(new RegExp(`stopped \\(end of input\\): ${150 + withRate.length} readings read, 3 bad lines skipped`));
    expect(await pipelineStatus(dataId)).toBe("success");
  });

  it("--file with a header that names no such column fails before any stream is created", async () => {
    const dir = await tempDir("cli-csv-");
    const file = join(dir, "x.csv");
    await writeFile(file, "time,a\n1764000000,1\n");
    const before = (await http(emu)("GET", "/data_entries/")).body.length as number;
    const res = await runCli(["stream", "--file", file, "--channels", "b", "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", join(dir, "outbox")]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('the CSV header has no column "b"');
    expect((await http(emu)("GET", "/data_entries/")).body.length).toBe(before);
  });

  it("a key the server refuses: exit 1 naming the refusal, the key never printed; --resume with nothing to resume: exit 1", async () => {
    const outbox = await tempDir("cli-outbox-");
    const refused = await runCli(["stream", "--stdin", "--api-key", "wrong-key-7f3a9c", "--endpoint", emu.url, "--outbox", outbox], { input: "1 2\n" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot start a stream on http:\/\/127\.0\.0\.1:\d+: .*HTTP 401/);
    expect(refused.stderr + refused.stdout).not.toContain("wrong-key-7f3a9c");
    const resume = await runCli(["stream", "--stdin", "--resume", "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", outbox], { input: "1 2\n" });
    expect(resume.code).toBe(1);
    expect(resume.stderr).toContain(`--resume: the outbox ${outbox} holds no open stream for ${emu.url} to continue`);
  });

  it("Ctrl+C while reading stdin: stops, sends everything read, finalizes, exit 0 (and a second run on the same outbox meanwhile is refused)", async () => {
    const outbox = await tempDir("cli-outbox-");
    const cli = stdinRun(outbox);
    cli.write(HEADER + lines(0, 57));
    const dataId = await cli.dataId(); // the stream starts with the first valid reading
    const second = await runCli(["stream", "--stdin", "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", outbox]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`cannot use the outbox ${outbox}: The outbox directory ${outbox} is in use by another process`);
    expect(second.stderr).toContain("Each running stream needs its own --outbox DIR.");
    await cli.waitForCount("read", 114);
    cli.kill("SIGINT");
    expect(await cli.exited()).toBe(0);
    expect(cli.stderr()).toContain("Ctrl+C: stopping");
    expect(cli.stderr()).toMatch(/stopped \(Ctrl\+C\): 114 readings read, 0 bad lines skipped; 114 points sent\./);
    await expectExact(dataId, range(0, 57));
  });

  it("SIGKILL during an outage, then --resume on the same outbox: the stream continues and the server holds every reading exactly once", async () => {
    const outbox = await tempDir("cli-outbox-");
    const first = stdinRun(outbox);
    first.write(HEADER + lines(0, 1));
    const dataId = await first.dataId();
    proxy.setOutage(true);
    try {
      first.write(lines(1, 137));
      await first.waitForCount("saved", 274); // all of it durable in the outbox (the open chunk as a partial slice)
      await first.waitForStderr(/platform unreachable \(POST \/(metrology|tool-state)\/stream\/chunk\/multi: cannot connect/);
      first.kill("SIGKILL");
      expect(await first.exited()).toBe(137);
      expect(Object.keys((await readBack(emu, dataId)).properties)).toEqual([]); // nothing got through
    } finally {
      proxy.setOutage(false);
    }

    const second = stdinRun(outbox, ["--resume"]);
    expect(await second.dataId()).toBe(dataId);
    second.write(HEADER + lines(137, 200));
    second.endInput();
    expect(await second.exited()).toBe(0);
    expect(second.stderr()).toContain(`continuing stream ${dataId}`);
    expect(second.stderr()).toMatch(/stopped \(end of input\): 126 readings read/);
    await expectExact(dataId, range(0, 200));
  }, 60_000);

  it("stopped with data pending (exit 3), stopped at once by a second Ctrl+C (exit 130), killed: each says where the data is, and the next run sends and finalizes them all", async () => {
    const outbox = await tempDir("cli-outbox-");
    // 1. The input ends during an outage: the finalize is deferred after --finalize-timeout → exit 3.
    // An outage for everything but starting a stream: each run can start its stream, none can send.
    proxy.setPolicy((req) => (req.path.includes("/stream/initialize") ? { kind: "pass" } : { kind: "drop" }));
    try {
      const deferred = stdinRun(outbox, ["--finalize-timeout", "0.5"]);
      deferred.write(HEADER + lines(0, 45));
      deferred.endInput();
      const deferredId = await deferred.dataId();
      expect(await deferred.exited()).toBe(3);
      expect(deferred.stderr()).toContain(`stream ${deferredId}: `);
      expect(deferred.stderr()).toContain("the finalize is deferred");
      expect(deferred.stderr()).toContain(`90 points (4 slices) not yet sent are saved in the outbox ${outbox}: nothing is lost — the next run on it sends them and finalizes stream ${deferredId}`);

      // 2. Ctrl+C, then Ctrl+C again while it waits for the server → exit 130 at once.
      const hurried = stdinRun(outbox);
      hurried.write(HEADER + lines(100, 160));
      const hurriedId = await hurried.dataId();
      await hurried.waitForCount("read", 120);
      hurried.kill("SIGINT");
      await hurried.waitForStderr(/Ctrl\+C: stopping/);
      await hurried.waitForCount("saved", 120);
      hurried.kill("SIGINT");
      expect(await hurried.exited()).toBe(130);
      expect(hurried.stderr()).toContain("Ctrl+C again: exiting at once.");
      expect(hurried.stderr()).toContain(`120 points (4 slices) not yet sent are saved in the outbox ${outbox}: nothing is lost — the next run on it sends them and finalizes stream ${hurriedId}`);
      // The outbox of the first run was sent nowhere either (still in the outage).
      expect(hurried.stderr()).toMatch(/the outbox holds 1 unfinished stream from an earlier run \(\d+ slices? to send\)/);
      expect(hurried.stderr()).toMatch(/1 earlier stream \(\d+ slices?\) also waits there for the next run\./);

      // 3. Killed while streaming: the stream stays open in the outbox.
      const killed = stdinRun(outbox);
      killed.write(HEADER + lines(200, 230));
      const killedId = await killed.dataId();
      await killed.waitForCount("saved", 60);
      killed.kill("SIGKILL");
      await killed.exited();

      expect(Object.keys((await readBack(emu, deferredId)).properties)).toEqual([]);
      proxy.setPolicy(undefined);

      // 4. The next run (a new stream, no --resume) sends what they left, finalizes them, and its own.
      const dir = await tempDir("cli-csv-");
      await writeFile(join(dir, "next.csv"), `t,a[C],b\n${range(0, 10).map((i) => `${1_764_000_000 + i},${i},${1000 + i}`).join("\n")}\n`);
      const next = await runCli(["stream", "--file", join(dir, "next.csv"), "--api-key", emu.apiKey, "--endpoint", proxy.url, "--outbox", outbox]);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toMatch(/the outbox holds 3 unfinished streams from earlier runs/);
      for (const id of [deferredId, hurriedId, killedId]) expect(next.stderr).toContain(`earlier stream ${id} finalized.`);
      await expectExact(deferredId, range(0, 45));
      await expectExact(hurriedId, range(100, 160));
      await expectExact(killedId, range(200, 230));
      await expectExact(next.stdout.trim(), range(0, 10));
    } finally {
      proxy.setPolicy(undefined);
    }
  }, 90_000);
});
