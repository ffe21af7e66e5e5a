/**
 * Honest outcomes of `atomscale-stream stream`: a run that read no valid reading, or whose every line was
 * refused, exits 1 and leaves no stream on the platform; the closing summary's "not yet sent" counts only
 * points the server does not have (a partial slice the server took, then grew during an outage, counts
 * its new points only); an instrument's own channel names over --channels are said once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { readBack } from "../helpers/readback.js";
import { requireDeno, skipDeno } from "../helpers/deno.js";
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
const entries = async () => (await http(emu)("GET", "/data_entries/")).body.length as number;

describe.each(["node", "deno"] as const)("stream: honest outcomes, in %s", (runtime: Runtime) => {
  const skip = runtime === "deno" && skipDeno;

  it.skipIf(skip)("no valid reading (empty input, or every line refused): exit 1, no stream created on the platform", async () => {
    if (runtime === "deno") requireDeno();
    const before = await entries();
    const args = ["stream", "--stdin", "--api-key", emu.apiKey, "--endpoint", emu.url];
    const empty = await runCli([...args, "--outbox", await tempDir("cli-outbox-")], { runtime, input: "" });
    expect(empty.code).toBe(1);
    expect(empty.stdout).toBe("");
    expect(empty.stderr).toContain("no reading was read, so no stream was created.");
    const refused = await runCli([...args, "--outbox", await tempDir("cli-outbox-")], { runtime, input: "# a b\nglitch\n1.2.3 4\nNaN 7\n" });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/stopped \(end of input\): 0 readings read, 3 bad lines skipped; 0 points sent\./);
    expect(refused.stderr).toContain("no valid reading: every one of the 3 lines read was refused, so no stream was created.");
    expect(await entries()).toBe(before);
  });

  it.skipIf(skip)('"not yet sent" counts only what the server does not have: a partial slice it took and that grew offline counts its new points', async () => {
    if (runtime === "deno") requireDeno();
    const outbox = await tempDir("cli-outbox-");
    const cli = startCli(["stream", "--stdin", "--api-key", emu.apiKey, "--endpoint", proxy.url, "--outbox", outbox, "--points-per-chunk", "40", "--finalize-timeout", "0.5", "--log-interval", "0.2"], { runtime });
    try {
      cli.write(`# a b\n${lines(0, 10)}`);
      const dataId = await cli.dataId();
      await cli.waitForCount("sent", 20); // the open chunk went out as partial slices (10 points a channel)
      proxy.setPolicy(() => ({ kind: "drop" }));
      cli.write(lines(10, 25)); // the partial slices grow to 25 points a channel: 15 new each, not sent
      await cli.waitForCount("saved", 50);
      cli.endInput();
      expect(await cli.exited()).toBe(3);
      expect(cli.stderr()).toContain(`stream ${dataId}: 30 points not yet on the server (2 slices) after the finalize timeout — the finalize is deferred.`);
      expect(cli.stderr()).toContain(`30 points (2 slices) not yet sent are saved in the outbox ${outbox}`);
      const back = await readBack(emu, dataId);
      expect(back.properties.a?.values).toEqual(range(0, 10)); // what the server has: the 10 points a channel not counted as unsent
      proxy.setPolicy(undefined);
      const drained = await runCli(["drain", "--outbox", outbox, "--api-key", emu.apiKey, "--endpoint", proxy.url], { runtime });
      expect(drained.code, drained.stderr).toBe(0);
      const after = await readBack(emu, dataId);
      expect(after.properties.a?.values).toEqual(range(0, 25));
      expect(after.properties.b?.values).toEqual(range(0, 25).map((i) => 1000 + i));
    } finally {
      proxy.setPolicy(undefined);
      cli.kill("SIGKILL");
    }
  }, 60_000);

  it.skipIf(skip)("a key refused while streaming: said once, the data kept; the exiting run says how to run again (exit 1) and the next run with the key sends it", async () => {
    if (runtime === "deno") requireDeno();
    const outbox = await tempDir("cli-outbox-");
    proxy.setPolicy((req) => (req.path.includes("/stream/chunk") ? { kind: "status", status: 401, body: JSON.stringify({ detail: "Invalid API key." }) } : { kind: "pass" }));
    try {
      const cli = startCli(["stream", "--stdin", "--api-key", emu.apiKey, "--endpoint", proxy.url, "--outbox", outbox, "--points-per-chunk", "10", "--finalize-timeout", "0.5"], { runtime });
      cli.write(`# a b\n${lines(0, 15)}`);
      const dataId = await cli.dataId();
      await cli.waitForStderr(/the server refused the API key/);
      cli.endInput();
      expect(await cli.exited()).toBe(1);
      const err = cli.stderr();
      expect(err.match(/the server refused the API key \(/g)).toHaveLength(1);
      expect(err).toContain("HTTP 401: Invalid API key): uploads are paused; the data waits in the outbox.");
      expect(err).toContain("The server refused the API key. Check the key (--api-key, or ATOMSCALE_API_KEY / AS_API_KEY) and run the same command again with a valid one: what was read waits in the outbox and is sent then.");
      expect(err).not.toContain("a new key lets uploads resume");
      expect(err).not.toMatch(/\.\./);
      proxy.setPolicy(undefined);
      const next = await runCli(["drain", "--outbox", outbox, "--api-key", emu.apiKey, "--endpoint", proxy.url], { runtime });
      expect(next.code, next.stderr).toBe(0);
      const back = await readBack(emu, dataId);
      expect(back.properties.a?.values).toEqual(range(0, 15));
    } finally {
      proxy.setPolicy(undefined);
    }
  }, 60_000);

  it.skipIf(skip)("an instrument's own channel names over --channels are said once", async () => {
    if (runtime === "deno") requireDeno();
    const res = await runCli(["stream", "--stdin", "--channels", "x:K,y", "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", await tempDir("cli-outbox-")], {
      runtime,
      input: `1 2\n# temperature[C] pressure[mbar]\n${lines(0, 5)}temperature:7\n`,
    });
    expect(res.code, res.stderr).toBe(0);
    const said = res.stderr.match(/the instrument names its channels itself \(temperature, pressure\): its header or labels win over --channels x,y\./g);
    expect(said, res.stderr).toHaveLength(1);
    const back = await readBack(emu, res.stdout.trim());
    expect(back.properties.x?.values).toEqual([1]);
    expect(back.properties.x?.units).toBe("K");
    expect(back.properties.temperature?.values).toEqual([...range(0, 5), 7]);
  });
});
