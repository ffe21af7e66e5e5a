/**
 * A reproducible install: the committed lockfile is one `npm ci` accepts on a clean clone (every
 * platform's optional packages recorded, nothing missing), and `npm install` leaves it byte for byte
 * as it is. Checked on a copy of package.json and package-lock.json, offline (no registry metadata
 * needed: the lockfile holds the versions). .ci/run does the real `npm ci` on the CI machine.
 */
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/emulator.js";
import { exec, NPM } from "./packed.js";

let dir: string;
let committed: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "atomscale-lock-"));
  await copyFile(join(ROOT, "package.json"), join(dir, "package.json"));
  await copyFile(join(ROOT, "package-lock.json"), join(dir, "package-lock.json"));
  committed = await readFile(join(ROOT, "package-lock.json"), "utf8");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const FLAGS = ["--offline", "--ignore-scripts", "--no-audit", "--no-fund"];

describe("package-lock.json", () => {
  it("npm ci accepts it on a clean clone (a dry run: the lockfile matches package.json, every platform's packages recorded)", async () => {
    const { stdout } = await exec(NPM, ["ci", "--dry-run", ...FLAGS], { cwd: dir, timeout: 180_000 });
    expect(stdout).toMatch(/added \d+ packages/);
    // deno's binaries for every platform are in the lockfile, not only this machine's.
    const lock = JSON.parse(committed) as { packages: Record<string, unknown> };
    for (const platform of ["darwin-arm64", "darwin-x64", "linux-arm64-glibc", "linux-x64-glibc", "win32-x64"]) {
      expect(Object.keys(lock.packages), platform).toContain(`node_modules/@deno/${platform}`);
    }
  });

  it("npm install leaves it unchanged", async () => {
    await exec(NPM, ["install", "--package-lock-only", ...FLAGS], { cwd: dir, timeout: 180_000 });
    expect(await readFile(join(dir, "package-lock.json"), "utf8")).toBe(committed);
  });
});
