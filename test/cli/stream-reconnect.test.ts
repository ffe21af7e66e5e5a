/**
 * `atomscale-stream stream --device` survives an unplug: on a real pty (socat), in Node and in Deno, the
 * pair is stopped mid-stream (the device node disappears), the CLI says it waits for the path, the pair
 * comes back at the same path, and the same stream continues. After Ctrl+C (exit 0) the server holds,
 * in one finalized stream, the readings from before the unplug and from after the replug, exact.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireDeno, skipDeno } from "../helpers/deno.js";
import { emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { ptyPair, skipSocat, startCli, startInstrument, tempDir, type Produced, type Runtime } from "./cli-process.js";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

const valuesOf = (produced: Produced[], channel: string) => produced.filter((p) => p.channel === channel).map((p) => p.value);

describe.each(["node", "deno"] as const)("stream --device, unplugged and plugged back, in %s", (runtime: Runtime) => {
  const skip = skipSocat || (runtime === "deno" && skipDeno);

  it.skipIf(skip)("waits for the device to come back, reopens the same path and continues the same stream; Ctrl+C finalizes it, exit 0", async () => {
    if (runtime === "deno") requireDeno();
    let pty = await ptyPair();
    let instrument = startInstrument(pty.a, "lines", { RATE_HZ: "20" });
    const cleanups: Array<() => Promise<unknown>> = [];
    try {
      await instrument.ready;
      const cli = startCli(
        ["stream", "--device", pty.b, "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", await tempDir("cli-outbox-"), "--points-per-chunk", "16", "--log-interval", "0.3", "--name", `replug ${runtime}`],
        { runtime },
      );
      cleanups.push(async () => cli.kill("SIGKILL"));
      await cli.waitForStderr(/reading .*\/b \(lines, 115200 baud, 8N1\)/);
      instrument.go();
      const dataId = await cli.dataId();
      await cli.waitForCount("read", 40);

      // Unplug: the instrument and the pty pair go away, the link with them.
      const before = await instrument.stop();
      await pty.close();
      await cli.waitForStderr(new RegExp(`the device ${pty.b.replace(/[/.]/g, "\\$&")} is gone \\(.*\\): waiting for ${pty.b.replace(/[/.]/g, "\\$&")} to come back; the stream stays open\\.`));
      // The status line names the state.
      await cli.waitForStderr(/· waiting for \S+\/b to come back · online/);
      const readBeforeReplug = Math.max(...[...cli.stderr().matchAll(/(\d+) read/g)].map((m) => Number(m[1])));
      expect(cli.child.exitCode).toBeNull(); // still running

      // Plug back in, at the same path.
      const replugged = Date.now();
      pty = await ptyPair(pty.dir);
      instrument = startInstrument(pty.a, "lines", { RATE_HZ: "20" });
      await instrument.ready;
      instrument.go();
      await cli.waitForStderr(/is back: reading again/);
      await cli.waitForCount("read", readBeforeReplug + 40);
      cli.kill("SIGINT");
      expect(await cli.exited()).toBe(0);
      const after = await instrument.stop();
      expect(cli.stdout()).toBe(`${dataId}\n`); // one stream

      const back = await readBack(emu, dataId);
      expect(Object.keys(back.properties).sort()).toEqual(["pressure", "temperature"]);
      const temperature = back.properties.temperature!;
      const pressure = back.properties.pressure!;
      const n = temperature.values.length;
      expect(pressure.values.length).toBe(n);
      // Split at the replug: readings are stamped on receipt.
      const k = temperature.unix_timestamp_ms.filter((ms) => ms < replugged).length;
      expect(k, "readings from before the unplug").toBeGreaterThanOrEqual(20);
      expect(n - k, "readings from after the replug").toBeGreaterThanOrEqual(20);
      // Before: every line the first instrument sent from its header on, in order, up to what the CLI got before the pty went.
      expect(temperature.values.slice(0, k)).toEqual(valuesOf(before.produced, "temperature").slice(0, k));
      expect(pressure.values.slice(0, k)).toEqual(valuesOf(before.produced, "pressure").slice(0, k));
      // After: the second instrument's lines from its header on, none lost at the start.
      expect(temperature.values.slice(k)).toEqual(valuesOf(after.produced, "temperature").slice(0, n - k));
      expect(pressure.values.slice(k)).toEqual(valuesOf(after.produced, "pressure").slice(0, n - k));
      expect(temperature.units).toBe("°C");
      const summary = /stopped \(Ctrl\+C\): (\d+) readings read, 0 bad lines skipped/.exec(cli.stderr());
      expect(Number(summary?.[1]), cli.stderr()).toBe(2 * n);
      expect(cli.stderr()).toContain(`stream ${dataId} finalized.`);
      const entry = await http(emu)("GET", `/data_entries/?data_ids=${dataId}`);
      expect(entry.body[0]?.pipeline_status).toBe("success");
    } finally {
      await instrument.stop().catch(() => {});
      await pty.close();
      for (const c of cleanups) await c().catch(() => {});
    }
  }, 90_000);

  it.skipIf(skip)("--exit-on-disconnect: the device going away ends the run — what was read is sent and finalized, exit 1", async () => {
    if (runtime === "deno") requireDeno();
    const pty = await ptyPair();
    const instrument = startInstrument(pty.a, "lines", { RATE_HZ: "20" });
    try {
      await instrument.ready;
      const cli = startCli(
        ["stream", "--device", pty.b, "--exit-on-disconnect", "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", await tempDir("cli-outbox-"), "--points-per-chunk", "16", "--log-interval", "0.3"],
        { runtime },
      );
      await cli.waitForStderr(/reading .*\/b \(lines, 115200 baud, 8N1\)/);
      instrument.go();
      const dataId = await cli.dataId();
      await cli.waitForCount("read", 30);
      const { produced } = await instrument.stop();
      await pty.close();
      expect(await cli.exited()).toBe(1);
      expect(cli.stderr()).toMatch(/is gone \(.*\): ending the run \(--exit-on-disconnect\)\./);
      expect(cli.stderr()).toMatch(/stopped \(input error\)/);
      expect(cli.stderr()).toContain(`stream ${dataId} finalized.`);
      const back = await readBack(emu, dataId);
      const n = back.properties.temperature!.values.length;
      expect(n).toBeGreaterThanOrEqual(15);
      expect(back.properties.temperature!.values).toEqual(valuesOf(produced, "temperature").slice(0, n));
      expect(back.properties.pressure!.values).toEqual(valuesOf(produced, "pressure").slice(0, n));
    } finally {
      await instrument.stop().catch(() => {});
      await pty.close();
    }
  }, 60_000);
});
