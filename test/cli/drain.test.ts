/**
 * `atomscale-stream drain`: what an outbox holds after a run that could not send (an outage through the
 * fault proxy), listed with --list (nothing sent), drained while the outage lasts (exit 3, still
 * pending), then drained for real (exit 0): every reading on the server, exact, the stream finalized.
 * In Node and in Deno.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireDeno, skipDeno } from "../helpers/deno.js";
import { emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { readBack } from "../helpers/readback.js";
import { runCli, startCli, tempDir, type Runtime } from "./cli-process.js";

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
const lines = (from: number, to: number) => range(from, to).map((i) => `${i} ${1000 + i}\n`).join("");

describe.each(["node", "deno"] as const)("atomscale-stream drain, in %s", (runtime: Runtime) => {
  const skip = runtime === "deno" && skipDeno;

  it.skipIf(skip)("--list shows what is pending per stream without sending; drain during an outage exits 3; drain after it sends everything and finalizes (exit 0)", async () => {
    if (runtime === "deno") requireDeno();
    const outbox = await tempDir("cli-outbox-");
    const key = ["--api-key", emu.apiKey];
    // A run that can start its stream but send nothing: exit 3, the data in the outbox.
    proxy.setPolicy((req) => (req.path.includes("/stream/initialize") ? { kind: "pass" } : { kind: "drop" }));
    try {
      const stream = startCli(["stream", "--stdin", ...key, "--endpoint", proxy.url, "--outbox", outbox, "--points-per-chunk", "40", "--finalize-timeout", "0.5"], { runtime });
      stream.write(`# a[C] b[mbar]\n${lines(0, 70)}`);
      stream.endInput();
      expect(await stream.exited()).toBe(3);
      const dataId = stream.stdout().trim();
      expect(stream.stderr()).toContain("atomscale-stream drain --outbox");

      // --list: no key needed, nothing sent.
      const list = await runCli(["drain", "--list", "--outbox", outbox], { runtime });
      expect(list.code, list.stderr).toBe(0);
      const rows = list.stdout.trim().split("\n");
      expect(rows[0]).toMatch(/^DATA ID\s+PHASE\s+SLICES\s+POINTS\s+REFUSED\s+ENDPOINT$/);
      expect(rows).toHaveLength(2);
      expect(rows[1]).toMatch(new RegExp(`^${dataId}\\s+closing\\s+4\\s+140\\s+0\\s+${proxy.url.replace(/[/.]/g, "\\$&")}$`));
      expect(list.stderr).toContain(`1 stream, 140 points to send in ${outbox}`);
      expect(Object.keys((await readBack(emu, dataId)).properties)).toEqual([]);

      // Drain while the platform still cannot take data: exit 3, said why, nothing lost.
      const early = await runCli(["drain", "--outbox", outbox, ...key, "--endpoint", proxy.url, "--timeout", "1", "--log-interval", "0.2"], { runtime });
      expect(early.code, early.stderr).toBe(3);
      expect(early.stderr).toContain(`sending 140 points (4 slices) of 1 stream to ${proxy.url}, then finalizing`);
      expect(early.stderr).toMatch(/platform unreachable/);
      expect(early.stderr).toContain(`stream ${dataId}: 140 points not yet on the server (4 slices) after the finalize timeout — the finalize is deferred.`);
      expect(early.stderr).toContain(`run "atomscale-stream drain --outbox ${outbox}" again`);
      proxy.setPolicy(undefined);

      const drained = await runCli(["drain", "--outbox", outbox, ...key, "--endpoint", proxy.url, "--log-interval", "0.2"], { runtime });
      expect(drained.code, drained.stderr).toBe(0);
      expect(drained.stderr).toContain(`stream ${dataId} finalized.`);
      expect(drained.stderr).toContain("140 points sent.");
      const back = await readBack(emu, dataId);
      expect(back.properties.a?.values).toEqual(range(0, 70));
      expect(back.properties.b?.values).toEqual(range(0, 70).map((i) => 1000 + i));
      expect((await http(emu)("GET", `/data_entries/?data_ids=${dataId}`)).body[0]?.pipeline_status).toBe("success");

      // Nothing left: both say so, exit 0.
      const again = await runCli(["drain", "--outbox", outbox, ...key, "--endpoint", proxy.url], { runtime });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain(`the outbox ${outbox} holds nothing to send to ${proxy.url}`);
      const empty = await runCli(["drain", "--list", "--outbox", outbox], { runtime });
      expect(empty.code).toBe(0);
      expect(empty.stdout).toBe("");
      expect(empty.stderr).toContain("holds nothing to send");
    } finally {
      proxy.setPolicy(undefined);
    }
  }, 90_000);
});

describe("drain: usage", () => {
  it("a missing outbox is nothing to do; bad options are usage errors", async () => {
    const missing = await runCli(["drain", "--outbox", "/nonexistent/outbox", "--api-key", "k"]);
    expect(missing.code).toBe(0);
    expect(missing.stderr).toContain("there is no outbox at /nonexistent/outbox: nothing to send");
    const noKey = await runCli(["drain", "--outbox", await tempDir("cli-outbox-")]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("no API key");
    const timeout = await runCli(["drain", "--timeout", "soon", "--api-key", "k"]);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain('--timeout must be a number of seconds from 0 to 604800, got "soon"');
    const help = await runCli(["drain", "--help"]);
    expect(help.code).toBe(0);
    for (const flag of ["--outbox DIR", "--list", "--keep-open", "--timeout S", "--api-key", "--endpoint"]) expect(help.stdout).toContain(flag);
    expect(help.stdout).toMatch(/^ {2}3 +data still pending/m);
  });
});
