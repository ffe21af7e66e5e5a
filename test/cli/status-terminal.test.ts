/**
 * The status line on a real terminal, in Node and in Deno: `stream --stdin` runs inside `script` (a
 * pty), so stderr is a TTY. The line is redrawn in place (log-update's erase-and-redraw), names the
 * input's state and the connection, and Ctrl+C typed on the terminal (the pty's ^C) stops the run
 * cleanly: exit 0, the stream finalized with every line typed.
 */
import { spawn, spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DENO, requireDeno, skipDeno } from "../helpers/deno.js";
import { BIN, CI, emulatorOn, ROOT, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { cleanEnv, tempDir, type Runtime } from "./cli-process.js";

const hasScript = spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;
const skipScript = !hasScript && !CI;

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

describe.each(["node", "deno"] as const)("the status line on a terminal, in %s", (runtime: Runtime) => {
  it.skipIf(skipScript || (runtime === "deno" && skipDeno))("redrawn in place, naming the state; ^C on the terminal stops, sends and finalizes (exit 0)", async () => {
    if (!hasScript) throw new Error("`script` (util-linux) is needed for the terminal test");
    if (runtime === "deno") requireDeno();
    const args = ["stream", "--stdin", "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", await tempDir("cli-outbox-"), "--points-per-chunk", "10"];
    const cmd = [...(runtime === "node" ? [process.execPath, BIN] : [DENO, "run", "-A", "--node-modules-dir=manual", BIN]), ...args].map(quote).join(" ");
    const child = spawn("script", ["-qfec", `stty cols 160 rows 40; exec ${cmd}`, "/dev/null"], { cwd: ROOT, env: cleanEnv(), stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
    const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
    const until = async (pattern: RegExp, what: string) => {
      for (let i = 0; i < 600 && !pattern.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out, what).toMatch(pattern);
    };
    try {
      await until(/reading stdin \(lines\)/, "the start line");
      child.stdin!.write("# a b\r");
      for (let i = 0; i < 25; i++) child.stdin!.write(`${i} ${1000 + i}\r`);
      await until(/50 read · 50 saved · \d+ sent .* · reading · online/, "the status line with the readings");
      const dataId = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\r?\n/.exec(out)?.[1]; // on its own line (after the status line is erased)
      expect(dataId, out).toBeDefined();
      await until(/50 sent/, "everything sent");
      child.stdin!.write("\x03"); // ^C on the terminal
      expect(await exited).toBe(0);
      expect(out).toContain("Ctrl+C: stopping");
      expect(out).toMatch(/stopped \(Ctrl\+C\): 50 readings read, 0 bad lines skipped; 50 points sent\./);
      // Redrawn in place: each status frame erases the one before it.
      expect(out).toContain("\x1b[2K\x1b[1A\x1b[2K\x1b[G");
      const back = await readBack(emu, dataId!);
      expect(back.properties.a?.values).toEqual(Array.from({ length: 25 }, (_, i) => i));
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);
});
