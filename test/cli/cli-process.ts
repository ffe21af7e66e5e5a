/**
 * Test harness for the CLI suites: run the built `atomscale-stream` as a user would (in Node or in Deno),
 * watch its output, signal it; a socat pty pair; the simulated-instrument process on one end of it.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { DENO } from "../helpers/deno.js";
import { BIN, CI, ROOT } from "../helpers/emulator.js";

export type Runtime = "node" | "deno";

/** The environment without any API key or endpoint a developer may have set. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
  for (const name of ["ATOMSCALE_API_KEY", "AS_API_KEY", "AS_API_ENDPOINT"]) delete env[name];
  return { ...env, ...extra };
}

function command(runtime: Runtime, args: string[]): [string, string[]] {
  return runtime === "node" ? [process.execPath, [BIN, ...args]] : [DENO, ["run", "-A", "--node-modules-dir=manual", BIN, ...args]];
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run to completion (stdin: `input`, or nothing). */
export async function runCli(args: string[], options: { runtime?: Runtime; env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const cli = startCli(args, options);
  if (options.input !== undefined) cli.child.stdin!.end(options.input);
  else cli.child.stdin!.end();
  const code = await cli.exited(options.timeoutMs ?? 60_000);
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The first stdout line: the stream's data id (a UUID, or `local-<uuid>` for a stream started offline). */
  dataId(timeoutMs?: number): Promise<string>;
  /** Wait until stderr matches; resolves with the match (the last one, for a global regexp). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Wait until the largest number stderr reports as `<n> <label>` is at least `n`. */
  waitForCount(label: string, n: number, timeoutMs?: number): Promise<number>;
  write(text: string): void;
  endInput(): void;
  kill(signal: NodeJS.Signals): void;
  /** The exit code (128 + n for a signal n). */
  exited(timeoutMs?: number): Promise<number>;
}

export function startCli(args: string[], options: { runtime?: Runtime; env?: Record<string, string> } = {}): CliProcess {
  const [cmd, argv] = command(options.runtime ?? "node", args);
  const child = spawn(cmd, argv, { cwd: ROOT, env: cleanEnv(options.env), stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  child.stdout!.setEncoding("utf8").on("data", (s: string) => {
    out += s;
    notify();
  });
  child.stderr!.setEncoding("utf8").on("data", (s: string) => {
    err += s;
    notify();
  });
  child.stdin!.on("error", () => {}); // the CLI may exit before reading everything
  let done = false;
  const exit = new Promise<number>((resolve) => {
    child.once("close", (code, signal) => {
      done = true;
      resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1));
      notify();
    });
  });

  const waitUntil = <T>(check: () => T | undefined, what: string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const finish = () => {
        listeners.delete(test);
        clearTimeout(timer);
      };
      const test = () => {
        const value = check();
        if (value !== undefined) {
          finish();
          resolve(value);
        } else if (done) {
          finish();
          reject(new Error(`the CLI exited (code ${child.exitCode}) before ${what}.\nstdout:\n${out}\nstderr:\n${err}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}.\nstdout:\n${out}\nstderr:\n${err}`));
      }, timeoutMs);
      listeners.add(test);
      test();
    });

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    dataId: (timeoutMs = 30_000) => waitUntil(() => /^((?:local-)?[0-9a-f-]{36})\n/.exec(out)?.[1], "the data id on stdout", timeoutMs),
    waitForStderr: (pattern, timeoutMs = 30_000) =>
      waitUntil(() => {
        if (pattern.global) return [...err.matchAll(pattern)].at(-1) ?? undefined;
        return pattern.exec(err) ?? undefined;
      }, `stderr to match ${pattern}`, timeoutMs),
    waitForCount: (label, n, timeoutMs = 30_000) =>
      waitUntil(() => {
        const counts = [...err.matchAll(new RegExp(`(\\d+) ${label}`, "g"))].map((m) => Number(m[1]));
        const most = Math.max(-1, ...counts);
        return most >= n ? most : undefined;
      }, `"${n} ${label}" on stderr`, timeoutMs),
    write: (text) => void child.stdin!.write(text),
    endInput: () => void child.stdin!.end(),
    kill: (signal) => void child.kill(signal),
    exited: (timeoutMs = 60_000) =>
      Promise.race([
        exit,
        new Promise<number>((_, reject) => {
          const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`the CLI did not exit within ${timeoutMs} ms.\nstdout:\n${out}\nstderr:\n${err}`));
          }, timeoutMs);
          void exit.then(() => clearTimeout(timer));
        }),
      ]),
  };
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

// ---- socat ----

export const hasSocat = spawnSync("socat", ["-V"], { stdio: "ignore" }).status === 0;
/** Skip pty tests (only outside CI, when socat is missing). */
export const skipSocat = !hasSocat && !CI;
if (skipSocat) console.warn("pty tests skipped: socat is not installed (apt-get install socat).");

export function requireSocat(): void {
  if (!hasSocat) throw new Error(`socat is required${CI ? " under CI" : ""} for the pty tests: install it (apt-get install socat; .ci/run does).`);
}

export interface PtyPair {
  dir: string;
  /** The instrument's end. */
  a: string;
  /** The host's end (the CLI's --device). */
  b: string;
  close(): Promise<void>;
}

/**
 * `socat -d -d pty,raw,echo=0,link=DIR/a pty,raw,echo=0,link=DIR/b`, once both links exist. Given the
 * `dir` of a pair closed before, the new pair appears at the same paths (an adapter plugged back in).
 */
export async function ptyPair(reuseDir?: string): Promise<PtyPair> {
  requireSocat();
  const dir = reuseDir ?? (await tempDir("cli-pty-"));
  const a = join(dir, "a");
  const b = join(dir, "b");
  const child = spawn("socat", ["-d", "-d", `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (log += s));
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(existsSync(a) && existsSync(b) && /starting data transfer loop/.test(log))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`socat did not set up the pty pair:\n${log}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    dir,
    a,
    b,
    /** Stop socat and remove the links (as a device node disappears when it is unplugged). */
    async close() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      await Promise.all([rm(a, { force: true }), rm(b, { force: true })]);
    },
  };
}

// ---- the simulated instrument on a pty (test/fixtures/pty-instrument.mjs) ----

export interface Produced {
  channel: string;
  value: number;
}

export interface InstrumentProcess {
  ready: Promise<void>;
  /** Start a `lines` simulator sending. */
  go(): void;
  /** Stop it; what it produced, in order. */
  stop(): Promise<{ produced: Produced[]; received: number; overlaps: number }>;
}

export function startInstrument(device: string, sim: string, env: Record<string, string> = {}): InstrumentProcess {
  const child = spawn(process.execPath, [join(ROOT, "test/fixtures/pty-instrument.mjs")], {
    cwd: ROOT,
    env: { ...process.env, DEVICE: device, SIM: sim, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding("utf8").on("data", (s: string) => {
    out += s;
    let nl;
    while ((nl = out.indexOf("\n")) >= 0) {
      lines.push(JSON.parse(out.slice(0, nl)) as Record<string, unknown>);
      out = out.slice(nl + 1);
    }
    for (const w of [...waiters]) w();
  });
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
  child.stdin!.on("error", () => {}); // stopped twice: it has gone already
  const exit = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const line = (key: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const hit = lines.find((l) => key in l);
        if (hit) {
          waiters.delete(check);
          resolve(hit);
        }
      };
      waiters.add(check);
      void exit.then((code) => reject(new Error(`the instrument process exited (${code}) before "${key}":\n${err}`)));
      check();
    });
  return {
    ready: line("ready").then(() => {}),
    go: () => void child.stdin!.write("go\n"),
    async stop() {
      child.stdin!.write("stop\n");
      const last = await line("produced");
      await exit;
      return last as unknown as { produced: Produced[]; received: number; overlaps: number };
    },
  };
}
