/**
 * `atomscale-stream stream` started while the platform is unreachable (the streamer's offline start):
 * it records from the first reading on, says "platform unreachable (ECONNREFUSED)" in its log and status
 * line, and when the emulator comes up 20 s later on that port it creates the stream and sends
 * everything — the read-back holds the readings of the first second. In Node and in Deno.
 */
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { requireDeno, skipDeno } from "../helpers/deno.js";
import { http, spawnServe, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { startCli, tempDir, type Runtime } from "./cli-process.js";

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const lines = (from: number, to: number) => range(from, to).map((i) => `${i} ${1000 + i}\n`).join("");

/** A TCP port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let emu: RunningEmulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe.each(["node", "deno"] as const)("stream started offline, in %s", (runtime: Runtime) => {
  const skip = runtime === "deno" && skipDeno;

  it.skipIf(skip)("records while the platform is down, says so, and sends everything (the first second's readings too) once it is up", async () => {
    if (runtime === "deno") requireDeno();
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const apiKey = `offline-key-${runtime}`;
    const name = `offline start ${runtime} ${Date.now()}`;
    const cli = startCli(
      ["stream", "--stdin", "--api-key", apiKey, "--endpoint", endpoint, "--outbox", await tempDir("cli-outbox-"), "--points-per-chunk", "8", "--log-interval", "0.3", "--name", name],
      { runtime },
    );
    const started = Date.now();
    try {
      cli.write(`# a[C] b[mbar]\n${lines(0, 10)}`); // the first second
      const localId = await cli.dataId(60_000); // a stream id while the platform is away
      await cli.waitForStderr(/platform unreachable \(.*ECONNREFUSED/, 60_000);
      await cli.waitForStderr(/· reading · platform unreachable \(ECONNREFUSED\)/, 30_000); // the status line
      await cli.waitForCount("read", 20);
      cli.write(lines(10, 20));
      await cli.waitForCount("read", 40);

      // 20 s after the start, the platform comes up on that port.
      await new Promise((r) => setTimeout(r, Math.max(0, started + 20_000 - Date.now())));
      emu = await spawnServe({ args: ["--port", String(port), "--data-dir", await tempDir("cli-emu-"), "--api-key", apiKey] });
      expect(emu.url).toBe(endpoint);
      await cli.waitForStderr(/the platform is reachable again: sending what waited/, 90_000);
      cli.write(lines(20, 30));
      cli.endInput();
      expect(await cli.exited(90_000), cli.stderr()).toBe(0);
      expect(cli.stderr()).toMatch(/stopped \(end of input\): 60 readings read, 0 bad lines skipped; 60 points sent\./);

      const entries = (await http(emu)("GET", "/data_entries/")).body as Array<{ data_id: string; raw_name: string; pipeline_status: string }>;
      const mine = entries.filter((e) => e.raw_name === name);
      expect(mine, JSON.stringify(entries)).toHaveLength(1); // one stream, not one per retry
      const platformId = mine[0]!.data_id;
      if (localId !== platformId) {
        // Started offline under a local id: the platform's id is said once known, and in the summary.
        expect(cli.stderr()).toContain(`stream ${localId} is created on the platform: its data id there is ${platformId}`);
        expect(cli.stderr()).toContain(`stream ${localId} (platform data id ${platformId}) finalized.`);
      }
      const back = await readBack(emu, mine[0]!.data_id);
      expect(back.properties.a?.values).toEqual(range(0, 30));
      expect(back.properties.b?.values).toEqual(range(0, 30).map((i) => 1000 + i));
      // The first second's readings were stamped when they were read, before the platform was up.
      expect(back.properties.a!.unix_timestamp_ms[0]!).toBeLessThan(started + 10_000);
      expect(mine[0]!.pipeline_status).toBe("success");
    } finally {
      cli.kill("SIGKILL");
    }
  }, 180_000);
});
