/**
 * Test harness: runs the real emulator as its own process (the built `atomscale-stream serve`),
 * on PGlite, and on a fresh database of a real PostgreSQL server when DATABASE_URL is set.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = join(ROOT, "dist/cli/bin.js");
export const CI = process.env.CI === "true";

export type Backend = "pglite" | "postgres";

/**
 * The backends every emulator suite runs against. PostgreSQL needs DATABASE_URL; under CI its
 * absence is a failure (the suite still runs "postgres" and fails with the reason), elsewhere a skip.
 */
export const BACKENDS: Backend[] = process.env.DATABASE_URL || CI ? ["pglite", "postgres"] : ["pglite"];
if (!process.env.DATABASE_URL && !CI) {
  console.warn("DATABASE_URL is not set: the emulator suites run on PGlite only (PostgreSQL skipped).");
}

export interface RunningEmulator {
  url: string;
  apiKey: string;
  child: ChildProcess;
  output: () => string;
  /** Stop with a signal and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Run `atomscale-stream serve --port 0 …` and wait for its URL and key. */
export async function spawnServe(options: SpawnOptions = {}): Promise<RunningEmulator> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", ...(options.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (out += s));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const started = await new Promise<{ url: string; apiKey: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator did not start within 60 s:\n${out}`)), 60_000);
    const check = () => {
      const url = /listening on (\S+)/.exec(out)?.[1];
      const apiKey = /API key: (\S+)/.exec(out)?.[1];
      if (url && apiKey) {
        clearTimeout(timer);
        child.stdout!.off("data", check);
        resolve({ url, apiKey });
      }
    };
    child.stdout!.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited with ${code} before starting:\n${out}`));
    });
  });
  return {
    ...started,
    child,
    output: () => out,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A database of its own on the PostgreSQL server named by DATABASE_URL; dropped by `drop()`. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    throw new Error(
      "DATABASE_URL is not set, so the PostgreSQL run cannot happen. Under CI=true .ci/run starts Debian's PostgreSQL and sets it.",
    );
  }
  const name = `emu_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(base, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export interface Storage {
  args: string[];
  /** Remove what the storage left behind (a PostgreSQL database). */
  cleanup(): Promise<void>;
}

/** Arguments for `serve` that put the emulator on the given backend: a temp PGlite dir or a fresh PG database. */
export async function storageFor(backend: Backend, opts: { persistent?: boolean } = {}): Promise<Storage> {
  if (backend === "postgres") {
    const db = await freshPostgresDatabase();
    return { args: ["--database-url", db.url], cleanup: () => db.drop() };
  }
  if (opts.persistent) {
    const dir = await mkdtemp(join(tmpdir(), "atomscale-emu-"));
    return { args: ["--data-dir", dir], cleanup: async () => {} };
  }
  return { args: ["--memory"], cleanup: async () => {} };
}

/** Start an emulator on a backend; `stop()` also cleans the storage up. */
export async function emulatorOn(backend: Backend, extraArgs: string[] = []): Promise<RunningEmulator> {
  const storage = await storageFor(backend);
  const emu = await spawnServe({ args: [...storage.args, ...extraArgs] }).catch(async (e) => {
    await storage.cleanup();
    throw e;
  });
  const stop = emu.stop.bind(emu);
  return {
    ...emu,
    async stop(signal) {
      const code = await stop(signal);
      await storage.cleanup();
      return code;
    },
  };
}

/** A small raw-HTTP helper (what curl would send): JSON in, status and JSON out. */
export function http(emu: { url: string; apiKey: string }) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${emu.url}${path}`, {
      method,
      headers: {
        "X-API-KEY": emu.apiKey,
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = text;
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, headers: res.headers, body: json as any };
  };
}
