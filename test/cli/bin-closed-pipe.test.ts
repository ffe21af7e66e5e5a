/**
 * A reader that goes away (`atomscale-stream poll ID | head`, `… | true`) is no crash: `poll` and
 * `instruments` end quietly with exit 0 (their output is what they are for); `stream` goes on without its
 * stdout and sends everything — its data id is on stdout, its work on the platform. In Node and in Deno,
 * against the real emulator; the stream is read back point by point.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireDeno, skipDeno } from "../helpers/deno.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { startCli, tempDir, type Runtime } from "./cli-process.js";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
}, 120_000);
afterAll(async () => {
  await emu?.stop();
});

const STACK = /EPIPE|Unhandled 'error' event|\n\s+at /;

describe.each(["node", "deno"] as Runtime[])("a closed stdout (%s)", (runtime) => {
  const env = () => ({ ATOMSCALE_API_KEY: emu.apiKey, AS_API_ENDPOINT: emu.url });

  it.skipIf(runtime === "deno" && skipDeno)("stream goes on without its reader and sends every reading; poll and instruments end quietly", async () => {
    if (runtime === "deno") requireDeno();
    const outbox = await tempDir("cli-pipe-");
    const cli = startCli(["stream", "-", "--outbox", outbox], { runtime, env: env() });
    cli.child.stdout!.destroy(); // the reader is gone before the data id is printed
    const temperature = Array.from({ length: 30 }, (_, i) => 100 + i);
    const pressure = Array.from({ length: 30 }, (_, i) => (i + 1) * 1e-7);
    const lines = ["temperature pressure", ...temperature.map((t, i) => `${t} ${pressure[i]}`)];
    cli.write(`${lines.join("\n")}\n`);
    cli.endInput();
    expect(await cli.exited(120_000), cli.stderr()).toBe(0);
    expect(cli.stderr()).not.toMatch(STACK);
    const dataId = /streaming to stream (\S+) on/.exec(cli.stderr())![1]!;
    expect(cli.stderr()).toContain(`stream ${dataId} finalized.`);
    // Every reading on the platform, once, in order.
    const back = await readBack(emu, dataId);
    expect(back.properties["temperature"]!.values).toEqual(temperature);
    expect(back.properties["pressure"]!.values).toEqual(pressure);

    // poll follows the stream (no --once): without its reader it would print to no one for ever, and an
    // unhandled EPIPE used to end it with a stack trace.
    for (const args of [["poll", dataId, "--interval", "1"], ["poll", dataId, "--json", "--interval", "1"], ["poll", dataId, "--once"], ["instruments"]]) {
      const reader = startCli(args, { runtime, env: env() });
      reader.child.stdout!.destroy();
      reader.endInput();
      expect(await reader.exited(60_000), `${args.join(" ")}: ${reader.stderr()}`).toBe(0);
      expect(reader.stderr(), args.join(" ")).not.toMatch(STACK);
    }
  }, 180_000);
});
