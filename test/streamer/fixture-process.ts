/**
 * A child process running test/streamer/fixtures/offline-process.mjs (Node or Deno) whose stdout is one
 * JSON object a line: wait for a line matching a predicate, and for the exit.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { DENO } from "../helpers/deno.js";
import { ROOT } from "../helpers/emulator.js";

export function runFixture(runtime: "node" | "deno", env: Record<string, string>) {
  const script = join(ROOT, "test/streamer/fixtures/offline-process.mjs");
  const [cmd, args] = runtime === "node" ? [process.execPath, [script]] : [DENO, ["run", "-A", "--node-modules-dir=manual", script]];
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const lines: Array<Record<string, unknown>> = [];
  let err = "";
  let buf = "";
  const listeners = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (s: string) => {
    buf += s;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        err += `${line}\n`;
      }
    }
    for (const l of listeners) l();
  });
  child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
  const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return {
    exit,
    waitFor(pred: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; lines: ${JSON.stringify(lines.slice(-3))}\n${err}`)), timeoutMs);
        const check = () => {
          const hit = lines.find(pred);
          if (!hit) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(hit);
        };
        listeners.add(check);
        check();
        void exit.then((code) => {
          if (lines.find(pred)) return;
          clearTimeout(timer);
          reject(new Error(`exited with ${code}; lines: ${JSON.stringify(lines.slice(-3))}\n${err}`));
        });
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exit;
    },
  };
}
