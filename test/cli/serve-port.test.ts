/**
 * `atomscale-stream serve` on a port that is taken: it says so at once, naming the port and `--port`, and
 * leaves the database alone — a second serve on a running one's port creates no data directory, takes no
 * lock and migrates no PostgreSQL database (it checks the port before it opens anything). In Node and Deno,
 * on PGlite and PostgreSQL. And when the port is taken only after the check (while the database opens),
 * the emulator lets its database and data directory go again.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { requireDeno, skipDeno } from "../helpers/deno.js";
import { BACKENDS, freshPostgresDatabase, ROOT, spawnServe, type Backend, type RunningEmulator } from "../helpers/emulator.js";
import { runCli, tempDir, type Runtime } from "./cli-process.js";

const RUNTIMES: Runtime[] = ["node", "deno"];
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** The tables of the public schema of a PostgreSQL database (none in a fresh one). */
async function tablesOf(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ table_name: string }[]>`select table_name from information_schema.tables where table_schema = 'public'`;
    return rows.map((r) => r.table_name);
  } finally {
    await sql.end();
  }
}

/** A first emulator on `backend` with storage of its own; its port is the one the second serve is given. */
async function firstEmulator(backend: Backend): Promise<{ emu: RunningEmulator; storage: string[] }> {
  let storage: string[];
  if (backend === "postgres") {
    const db = await freshPostgresDatabase();
    cleanups.push(() => db.drop());
    storage = ["--database-url", db.url];
  } else {
    storage = ["--data-dir", join(await tempDir("serve-port-first-"), "data")];
  }
  const emu = await spawnServe({ args: storage });
  cleanups.push(() => emu.stop());
  return { emu, storage };
}

function expectPortMessage(res: { code: number; stderr: string }, port: string) {
  expect(res.code, res.stderr).toBe(1);
  expect(res.stderr).toContain(`port ${port} on 127.0.0.1 is in use (EADDRINUSE)`);
  expect(res.stderr).toContain("Choose another port with --port N");
  expect(res.stderr).toContain("npm start -- --port N");
  // One line, no stack trace, no database message.
  expect(res.stderr.trim().split("\n")).toHaveLength(1);
  expect(res.stderr).not.toMatch(/database|PGlite|PostgreSQL|data directory/i);
}

describe.each(BACKENDS)("serve on a busy port (%s)", (backend) => {
  describe.each(RUNTIMES)("the second serve in %s", (runtime) => {
    it.skipIf(runtime === "deno" && skipDeno)("fails at once naming the port, and never opens, creates or locks its database", async () => {
      if (runtime === "deno") requireDeno();
      const { emu, storage } = await firstEmulator(backend);
      const port = new URL(emu.url).port;

      // Its own, new storage: after the refusal it is as it was — no directory, no tables.
      let fresh: string[];
      let untouched: () => Promise<void>;
      if (backend === "postgres") {
        const db = await freshPostgresDatabase();
        cleanups.push(() => db.drop());
        fresh = ["--database-url", db.url];
        untouched = async () => expect(await tablesOf(db.url), "tables in the second serve's database").toEqual([]);
      } else {
        const dir = join(await tempDir("serve-port-second-"), "data");
        fresh = ["--data-dir", dir];
        untouched = async () => expect(existsSync(dir), `${dir} was created`).toBe(false);
      }
      const second = await runCli(["serve", "--port", port, ...fresh], { runtime, timeoutMs: 120_000 });
      expectPortMessage(second, port);
      await untouched();

      // The running emulator's own storage: the port is said, not "in use by another emulator" (the
      // database is not even looked at), and the first goes on serving with its lock where it was.
      const same = await runCli(["serve", "--port", port, ...storage], { runtime, timeoutMs: 120_000 });
      expectPortMessage(same, port);
      if (backend === "pglite") {
        const lock = await readFile(join(storage[1]!, "emulator.lock"), "utf8");
        expect(lock).toContain(String(emu.child.pid));
      }
      const health = await fetch(`${emu.url}/healthz`);
      expect(health.status).toBe(200);
      const initialized = await fetch(`${emu.url}/tool-state/stream/initialize`, {
        method: "POST",
        headers: { "X-API-KEY": emu.apiKey, "Content-Type": "application/json" },
        body: JSON.stringify({ points_per_chunk: 10 }),
      });
      expect(initialized.status).toBe(200);
    }, 180_000);
  });
});

describe("serve on an address that cannot be listened on", () => {
  it("names --host for an address that is not this computer's, before opening anything", async () => {
    const dir = join(await tempDir("serve-host-"), "data");
    // 192.0.2.1 is TEST-NET-1: never an address of this machine.
    const res = await runCli(["serve", "--port", "8765", "--host", "192.0.2.1", "--data-dir", dir], { timeoutMs: 120_000 });
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toContain("serve: --host 192.0.2.1 is not an address of this computer (EADDRNOTAVAIL)");
    expect(existsSync(dir)).toBe(false);
  }, 180_000);
});

describe("startEmulator on a port taken after serve's check", () => {
  it("rejects with EADDRINUSE and lets its database and data directory go", async () => {
    const { startEmulator } = (await import(join(ROOT, "dist/emulator/index.js"))) as typeof import("../../lib/emulator/index.js");
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => holder.close(resolve)));
    const port = (holder.address() as { port: number }).port;
    const dir = join(await tempDir("serve-race-"), "data");
    await expect(startEmulator({ port, dataDir: dir })).rejects.toMatchObject({ code: "EADDRINUSE" });
    // The lock is released: the same data directory opens again (on a free port) with the key stored before.
    expect(existsSync(join(dir, "emulator.lock"))).toBe(false);
    const emu = await startEmulator({ port: 0, dataDir: dir });
    try {
      expect((await fetch(`${emu.url}/healthz`)).status).toBe(200);
    } finally {
      await emu.close();
    }
  }, 180_000);
});
