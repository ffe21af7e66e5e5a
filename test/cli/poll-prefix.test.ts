/**
 * `atomscale-stream poll` against a platform that serves streams under one prefix only: it reads
 * /tool-state first and, when the platform does not know the stream there (404 before any answer),
 * /metrology — as the streamer does at initialize; `--stream-prefix` forces one. Against the real
 * emulator started with `serve --stream-prefix …`, on each backend.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, freshPostgresDatabase, http, spawnServe, type RunningEmulator } from "../helpers/emulator.js";
import { runCli, tempDir } from "./cli-process.js";

const T0 = 1_764_000_000;

for (const backend of BACKENDS) {
  describe(`poll with one stream prefix served (${backend})`, () => {
    const emus: Record<string, RunningEmulator> = {};
    const cleanups: Array<() => Promise<unknown>> = [];
    beforeAll(async () => {
      for (const prefix of ["/metrology", "/tool-state"]) {
        let storage: string[];
        if (backend === "postgres") {
          const db = await freshPostgresDatabase();
          cleanups.push(() => db.drop());
          storage = ["--database-url", db.url];
        } else {
          storage = ["--data-dir", join(await tempDir("poll-prefix-"), "data")];
        }
        emus[prefix] = await spawnServe({ args: [...storage, "--stream-prefix", prefix] });
        cleanups.unshift(() => emus[prefix]!.stop());
      }
    }, 180_000);
    afterAll(async () => {
      for (const c of cleanups) await c().catch(() => {});
    });

    /** A stream of 3 points of `temperature` through `prefix`; its data id. */
    async function streamOn(emu: RunningEmulator, prefix: string): Promise<string> {
      const init = await http(emu)("POST", `${prefix}/stream/initialize`, { points_per_chunk: 4, stream_name: "poll prefix" });
      expect(init.status).toBe(200);
      const dataId = init.body.data_id as string;
      const chunk = await http(emu)("POST", `${prefix}/stream/chunk`, { data_id: dataId, chunk_index: 0, channel_name: "temperature", timestamps: [T0, T0 + 1, T0 + 2], values: [600, 600.5, 601], units: "C" });
      expect(chunk.status).toBe(200);
      return dataId;
    }

    const lines = (text: string) => text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { t: number; value: number });

    it("reads a /metrology-only platform's stream (falls back on 404), and a /tool-state-only one's", async () => {
      for (const prefix of ["/metrology", "/tool-state"]) {
        const emu = emus[prefix]!;
        const dataId = await streamOn(emu, prefix);
        const res = await runCli(["poll", dataId, "--once", "--json", "--api-key", emu.apiKey, "--endpoint", emu.url]);
        expect(res.code, `${prefix}: ${res.stderr}`).toBe(0);
        expect(lines(res.stdout).map((p) => [p.t, p.value])).toEqual([
          [T0, 600],
          [T0 + 1, 600.5],
          [T0 + 2, 601],
        ]);
      }
    });

    it("--stream-prefix forces one: the other prefix is not asked; a stream unknown under both names both", async () => {
      const emu = emus["/metrology"]!;
      const dataId = await streamOn(emu, "/metrology");
      const forced = await runCli(["poll", dataId, "--once", "--json", "--stream-prefix", "/tool-state", "--api-key", emu.apiKey, "--endpoint", emu.url]);
      expect(forced.code).toBe(1);
      expect(forced.stderr).toContain(`no stream ${dataId}`);
      expect(forced.stderr).toContain("under /tool-state");
      const ok = await runCli(["poll", dataId, "--once", "--json", "--stream-prefix", "/metrology", "--api-key", emu.apiKey, "--endpoint", emu.url]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(lines(ok.stdout)).toHaveLength(3);
      const bad = await runCli(["poll", dataId, "--once", "--stream-prefix", "/v2", "--api-key", emu.apiKey]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--stream-prefix must be /tool-state or /metrology, got "/v2"');
      const unknown = await runCli(["poll", "00000000-0000-4000-8000-000000000000", "--once", "--api-key", emu.apiKey, "--endpoint", emu.url]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain("under /tool-state and /metrology");
    });
  });
}
