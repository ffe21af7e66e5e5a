/**
 * Test harness: run a script under Deno — the `deno` npm package's binary — the way a Deno user of
 * this repository would: `deno run -A --node-modules-dir=manual <script> [args]`.
 *
 * Scripts import the built library by relative path (`../../dist/index.js` from test/deno/). With
 * `--node-modules-dir=manual` Deno uses the repository's package.json and node_modules as they are
 * (no download, no lockfile), so the bare `ky` inside dist/ resolves to node_modules/ky.
 *
 * Under CI=true a missing Deno is a failure; elsewhere suites skip: `it.skipIf(skipDeno)(…)` and call
 * `requireDeno()` first.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { join, resolve } from "node:path";
import { CI, ROOT } from "./emulator.js";

/** The Deno binary: DENO_PATH, else the one `npm install` puts in node_modules/.bin. */
export const DENO = process.env.DENO_PATH || join(ROOT, "node_modules/.bin/deno");
export const hasDeno = existsSync(DENO);
/** Skip Deno tests (only outside CI, when Deno is missing). */
export const skipDeno = !hasDeno && !CI;
if (skipDeno) console.warn(`Deno tests skipped: ${DENO} is missing (npm install provides it; or set DENO_PATH).`);

/** Throws the reason Deno tests cannot run (missing binary); a no-op when they can. */
export function requireDeno(): void {
  if (!hasDeno) {
    throw new Error(
      `Deno is required${CI ? " under CI" : ""}: ${DENO} is missing. \`npm install\` provides it (the deno package), or set DENO_PATH.`,
    );
  }
}

export interface RunDenoOptions {
  /** Added to the environment (which is inherited, plus NO_COLOR=1 and DENO_NO_UPDATE_CHECK=1). */
  env?: Record<string, string>;
  /** Arguments after the script (`Deno.args`). */
  args?: string[];
  /** Working directory. @default the repository root */
  cwd?: string;
  /** Kill Deno (SIGKILL) and reject after this long. @default 60000 */
  timeoutMs?: number;
}

export interface DenoResult {
  /** The exit code; 128 + signal number when Deno was ended by a signal. */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `deno run -A --node-modules-dir=manual <scriptPath> ...args`. Resolves whatever the exit code (check
 * `code`); rejects only when Deno cannot be started or runs past `timeoutMs`. A relative `scriptPath`
 * is taken from the repository root, not from `cwd`.
 */
export async function runDeno(scriptPath: string, opts: RunDenoOptions = {}): Promise<DenoResult> {
  requireDeno();
  const script = resolve(ROOT, scriptPath);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const child = spawn(DENO, ["run", "-A", "--node-modules-dir=manual", script, ...(opts.args ?? [])], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  return new Promise<DenoResult>((resolvePromise, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${DENO}: ${err.message}`, { cause: err }));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`deno run ${scriptPath} did not finish within ${timeoutMs} ms.\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        return;
      }
      const exit = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1);
      resolvePromise({ code: exit, stdout, stderr });
    });
  });
}

/** The last non-empty line of a script's stdout, parsed as JSON (scripts print one JSON line). */
export function lastJsonLine<T = Record<string, unknown>>(result: DenoResult): T {
  const line = result.stdout.trim().split("\n").filter((l) => l.trim() !== "").at(-1);
  if (line === undefined) {
    throw new Error(`the Deno script printed nothing (exit ${result.code}).\nstderr:\n${result.stderr}`);
  }
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`the Deno script's last line is not JSON (exit ${result.code}): ${line}\nstderr:\n${result.stderr}`);
  }
}
