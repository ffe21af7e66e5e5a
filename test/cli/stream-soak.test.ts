/**
 * The unattended logger's long run: `stream --device` on a real pty while the emulator is stopped and
 * started twice and the pty is unplugged and plugged back twice. After Ctrl+C (exit 0), one finalized
 * stream holds every reading the instrument produced while connected, in order, exact.
 *
 * SOAK_SECONDS sets the length (default 60; the acceptance run is SOAK_SECONDS=600).
 */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { http, spawnServe, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { ptyPair, skipSocat, startCli, startInstrument, tempDir, type InstrumentProcess, type Produced } from "./cli-process.js";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const valuesOf = (produced: Produced[], channel: string) => produced.filter((p) => p.channel === channel).map((p) => p.value);

describe("stream --device, left running through outages and unplugs", () => {
  it.skipIf(skipSocat)(`${SECONDS} s: emulator stopped and started twice, pty unplugged and replugged twice; one finalized stream with every reading, exact`, async () => {
    const port = await freePort();
    const dataDir = await tempDir("cli-soak-emu-");
    const apiKey = "soak-key";
    const serve = () => spawnServe({ args: ["--port", String(port), "--data-dir", dataDir, "--api-key", apiKey] });
    let emu: RunningEmulator | undefined = await serve();
    let pty = await ptyPair();
    let instrument: InstrumentProcess = startInstrument(pty.a, "lines", { RATE_HZ: "20" });
    const segments: Array<{ from: number; produced: Produced[] }> = [];
    const cli = startCli([
      "stream", "--device", pty.b, "--api-key", apiKey, "--endpoint", `http://127.0.0.1:${port}`, "--outbox", await tempDir("cli-outbox-"),
      "--points-per-chunk", "50", "--log-interval", "2", "--finalize-timeout", "120", "--name", "soak",
    ]);
    const started = Date.now();
    const at = (fraction: number) => new Promise((r) => setTimeout(r, Math.max(0, started + fraction * SECONDS * 1000 - Date.now())));
    let segmentFrom = 0;
    let unplugs = 0;
    const unplug = async () => {
      const { produced } = await instrument.stop();
      segments.push({ from: segmentFrom, produced });
      await pty.close();
      unplugs++;
      // The CLI noticed this unplug (not only the one before).
      for (let i = 0; i < 600 && (cli.stderr().match(/waiting for \S+ to come back; the stream stays open/g)?.length ?? 0) < unplugs; i++) await new Promise((r) => setTimeout(r, 50));
      expect(cli.stderr().match(/waiting for \S+ to come back; the stream stays open/g)).toHaveLength(unplugs);
    };
    const replug = async () => {
      segmentFrom = Date.now();
      pty = await ptyPair(pty.dir);
      instrument = startInstrument(pty.a, "lines", { RATE_HZ: "20" });
      await instrument.ready;
      instrument.go();
    };
    try {
      await instrument.ready;
      await cli.waitForStderr(/reading .*\/b \(lines, 115200 baud, 8N1\)/);
      segmentFrom = Date.now();
      instrument.go();
      const dataId = await cli.dataId();
      await at(0.1);
      await unplug();
      await at(0.2);
      await replug();
      await at(0.3);
      await emu.stop();
      emu = undefined;
      await at(0.45);
      emu = await serve();
      await at(0.55);
      await unplug();
      await at(0.65);
      await replug();
      await at(0.75);
      await emu.stop();
      emu = undefined;
      await at(0.85);
      emu = await serve();
      await at(1);
      const { produced } = await instrument.stop();
      segments.push({ from: segmentFrom, produced });
      cli.kill("SIGINT");
      expect(await cli.exited(180_000), cli.stderr()).toBe(0);
      expect(cli.stderr()).toContain(`stream ${dataId} finalized.`);
      expect(cli.stdout()).toBe(`${dataId}\n`);
      expect(cli.stderr().match(/is back: reading again/g)).toHaveLength(2);

      const back = await readBack(emu, dataId);
      expect(Object.keys(back.properties).sort()).toEqual(["pressure", "temperature"]);
      const ts = back.properties.temperature!.unix_timestamp_ms;
      let offset = 0;
      let total = 0;
      segments.forEach((segment, i) => {
        const until = segments[i + 1]?.from ?? Infinity;
        const n = ts.filter((ms) => ms >= segment.from && ms < until).length;
        for (const channel of ["temperature", "pressure"] as const) {
          const got = back.properties[channel]!.values.slice(offset, offset + n);
          const sent = valuesOf(segment.produced, channel);
          // Every line from the header on, in order; at most the lines in flight in the pty when it was pulled are missing at the end.
          expect(got, `segment ${i} ${channel}`).toEqual(sent.slice(0, n));
          expect(sent.length - n, `segment ${i} ${channel}: lines lost`).toBeLessThanOrEqual(i < segments.length - 1 ? 3 : 1);
        }
        offset += n;
        total += n;
      });
      expect(total).toBe(ts.length);
      expect(back.properties.pressure!.values.length).toBe(total);
      const summary = /stopped \(Ctrl\+C\): (\d+) readings read, 0 bad lines skipped/.exec(cli.stderr());
      expect(Number(summary?.[1])).toBe(2 * total);
      const entry = await http(emu)("GET", `/data_entries/?data_ids=${dataId}`);
      expect(entry.body[0]?.pipeline_status).toBe("success");
    } finally {
      cli.kill("SIGKILL");
      await instrument.stop().catch(() => {});
      await pty.close();
      await emu?.stop();
    }
  }, (SECONDS + 300) * 1000);
});
