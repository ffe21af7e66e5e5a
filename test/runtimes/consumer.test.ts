/**
 * The package as users get it — `npm pack`, installed offline into an empty project together with the
 * emulator's optional peer packages (Hono, @hono/node-server, PGlite, postgres.js) — imported by name
 * in Node and in Deno: `import { startEmulator } from "atomscale-stream/emulator"`, then a stream
 * through AtomscaleClient, read back. `npm run build` first (the tarball is packed from dist/).
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, CI, freshPostgresDatabase, ROOT } from "../helpers/emulator.js";
import { installProject, packRepository, removeTemporaries } from "../package/packed.js";

const run = promisify(execFile);
const DENO = join(ROOT, "node_modules/.bin/deno");
const hasDeno = existsSync(DENO);
if (!hasDeno && !CI) console.warn(`Deno suite skipped: ${DENO} is missing (npm install provides it).`);

/** The emulator's packages: optional peer dependencies of atomscale-stream, installed here on purpose. */
const EMULATOR_PACKAGES = ["hono", "@hono/node-server", "@electric-sql/pglite", "postgres"];

let consumerDir: string;
beforeAll(async () => {
  consumerDir = await installProject(await packRepository(), { with: EMULATOR_PACKAGES });
  await copyFile(join(ROOT, "test/fixtures/consumer.mjs"), join(consumerDir, "consumer.mjs"));
}, 300_000);
afterAll(removeTemporaries);

async function consume(command: string, args: string[], databaseUrl?: string) {
  const { stdout } = await run(command, args, {
    cwd: consumerDir,
    env: { ...process.env, NO_COLOR: "1", CONSUMER_DATABASE_URL: databaseUrl ?? "" },
    timeout: 120_000,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
}

const expected = { totalPoints: 3, values: [0, 5.2, 10.1], status: "success" };

describe.each(BACKENDS)("the package imported by name, emulator on %s", (backend) => {
  async function withDatabase<T>(fn: (url?: string) => Promise<T>): Promise<T> {
    if (backend === "pglite") return fn(undefined);
    const db = await freshPostgresDatabase();
    try {
      return await fn(db.url);
    } finally {
      await db.drop();
    }
  }

  it("works in Node", async () => {
    const out = await withDatabase((url) => consume(process.execPath, ["consumer.mjs"], url));
    expect(out).toMatchObject({ ...expected, database: backend, runtime: `node ${process.versions.node}` });
  });

  it.skipIf(!hasDeno && !CI)("works in Deno", async () => {
    expect(hasDeno, `Deno is required under CI: ${DENO} is missing`).toBe(true);
    const out = await withDatabase((url) => consume(DENO, ["run", "-A", "consumer.mjs"], url));
    expect(out).toMatchObject({ ...expected, database: backend });
    expect(String(out.runtime)).toMatch(/^deno \d+\.\d+/);
  });
});

describe("the installed command line, with the emulator's packages", () => {
  it("npx atomscale-stream serve runs the emulator and serves the demo page from the package", async () => {
    const child = spawn(process.execPath, [join(consumerDir, "node_modules/.bin/atomscale-stream"), "serve", "--memory", "--port", "0"], {
      cwd: consumerDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (out += s));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await expect.poll(() => out, { timeout: 90_000, interval: 200 }).toMatch(/Demo page: \S+/);
      const url = /listening on (\S+)/.exec(out)![1]!;
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});
