/**
 * `npm start` (scripts/start.mjs) on a port already in use says so before it builds: the build empties
 * dist/, which a running emulator serves its page from, so a second `npm start` must leave dist/ alone.
 * (The normal path — build, then serve — is what CI's quick-start check and every emulator test use.)
 */
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/emulator.js";

let busy: Server;
let port: number;
beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen({ port: 0, host: "127.0.0.1" }, resolve));
  port = (busy.address() as { port: number }).port;
});
afterAll(() => new Promise((resolve) => busy.close(resolve)));

function start(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "scripts/start.mjs"), ...args], { cwd: ROOT, env: { ...process.env, npm_execpath: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("npm start on a busy port", () => {
  for (const form of [(p: number) => ["--port", String(p)], (p: number) => [`--port=${p}`]]) {
    it(`says the port is in use and does not build (${form(0)[0]!.startsWith("--port=") ? "--port=N" : "--port N"})`, async () => {
      const bin = join(ROOT, "dist/cli/bin.js");
      const before = statSync(bin).mtimeMs;
      const res = await start(form(port));
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
      expect(res.stderr).toContain("npm start -- --port N");
      expect(res.stdout).not.toMatch(/vite|tsc/); // no build ran
      expect(statSync(bin).mtimeMs).toBe(before); // dist/ untouched
    });
  }
});
