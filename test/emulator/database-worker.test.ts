/**
 * PGlite in its worker thread: if the worker dies while requests are in flight, no request is answered
 * 2xx unless its slices are in the database — those answered before are there point by point after a
 * restart on the same data — the others and every later one answer 500, /healthz says 503, and the
 * failure is reported once.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../../lib/emulator/app.js";
import { openDatabase } from "../../lib/emulator/database.js";
import { PgliteThread } from "../../lib/emulator/database/pglite-thread.js";
import { startEmulator } from "../../lib/emulator/index.js";
import { Store } from "../../lib/emulator/store.js";

const T0 = 1_764_000_000;
const PPC = 50;
const CHANNELS = 8;
const REQUESTS = 160;

function chunk(dataId: string, chunkIndex: number) {
  const channels: Record<string, { timestamps: number[]; values: number[] }> = {};
  for (let c = 0; c < CHANNELS; c++) {
    const timestamps: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < PPC; i++) {
      timestamps.push(T0 + (chunkIndex * PPC + i) * 0.001);
      values.push(c * 1e6 + chunkIndex * PPC + i + 0.25);
    }
    channels[`ch${c}`] = { timestamps, values };
  }
  return { data_id: dataId, chunk_index: chunkIndex, channels };
}

async function listen(app: ReturnType<typeof createApp>) {
  return new Promise<{ url: string; close(): Promise<void> }>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        }),
      }),
    );
  });
}

describe("the database worker", () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it("dies mid-traffic: 2xx only for stored slices (read back after a restart), 500 for the rest and after, /healthz 503, reported once", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "atomscale-emu-worker-"));
    const failures: Error[] = [];
    const db = await openDatabase({ dataDir, onFailure: (e) => failures.push(e) });
    expect(db).toBeInstanceOf(PgliteThread);
    cleanups.push(() => db.close());
    const store = new Store(db);
    await store.migrate();
    const logged: string[] = [];
    const server = await listen(createApp({ store, apiKey: "k", maxBodyBytes: 1 << 24, log: (line) => logged.push(line) }));
    cleanups.push(() => server.close());
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${server.url}${path}`, { method: "POST", headers: { "X-API-KEY": "k", "Content-Type": "application/json" }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    const { data_id: dataId } = (await post("/tool-state/stream/initialize", { points_per_chunk: PPC })).body as { data_id: string };

    // 8 in flight; the worker is stopped (as a crash would: in the middle of whatever it runs) once 30 are answered.
    const answers: Array<{ status: number; body: unknown }> = [];
    let next = 0;
    let answered = 0;
    let stopped: Promise<number> | undefined;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < REQUESTS) {
          const i = next++;
          answers[i] = await post("/tool-state/stream/chunk/multi", chunk(dataId, i));
          if (++answered === 30) stopped = (db as PgliteThread).worker.terminate();
        }
      }),
    );
    await stopped;

    const ok = answers.flatMap((a, i) => (a.status === 200 ? [i] : []));
    const failed = answers.flatMap((a, i) => (a.status !== 200 ? [i] : []));
    expect(ok.length).toBeGreaterThanOrEqual(30);
    expect(failed.length).toBeGreaterThan(0);
    for (const i of failed) expect(answers[i]).toEqual({ status: 500, body: { detail: "Internal Server Error" } });
    // Everything sent after the worker was gone failed: the last requests are all 500s.
    expect(answers.at(-1)!.status).toBe(500);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { status: string }).status).toBe("database_stopped");
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toMatch(/database worker stopped .*500.*Restart the emulator/);
    expect(logged.some((l) => /internal error on POST \/tool-state\/stream\/chunk\/multi/.test(l))).toBe(true);
    await server.close();

    // A restart on the same data: every slice answered 2xx is there, point by point; nothing else but
    // slices as sent (a request answered 500 may have been stored before the worker died: a re-send replaces it).
    const emu = await startEmulator({ dataDir, apiKey: "k" });
    cleanups.push(() => emu.close());
    const back = (await (await fetch(`${emu.url}/tool-state/${dataId}/timeseries/`, { headers: { "X-API-KEY": "k" } })).json()) as {
      properties: Record<string, { unix_timestamp_ms: number[]; values: number[] }>;
    };
    for (let c = 0; c < CHANNELS; c++) {
      const p = back.properties[`ch${c}`]!;
      const stored = new Map(p.unix_timestamp_ms.map((ms, j) => [ms, p.values[j]]));
      expect(stored.size).toBe(p.values.length); // no point twice
      for (const i of ok) {
        for (let j = 0; j < PPC; j++) {
          const pos = i * PPC + j;
          expect(stored.get(Math.round((T0 + pos * 0.001) * 1000))).toBe(c * 1e6 + pos + 0.25);
        }
      }
      for (const [ms, value] of stored) {
        const pos = Math.round(ms - T0 * 1000);
        expect(value).toBe(c * 1e6 + pos + 0.25);
        expect(pos).toBeLessThan(REQUESTS * PPC);
      }
    }
  }, 180_000);

  it("a worker that cannot open its database fails the open with the reason", async () => {
    const file = join(await mkdtemp(join(tmpdir(), "atomscale-emu-worker-")), "not-a-directory");
    await writeFile(file, "x");
    await expect(openDatabase({ dataDir: file })).rejects.toThrow(/ENOTDIR|not a directory|EEXIST/i);
  }, 60_000);
});
