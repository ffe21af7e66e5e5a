/** startEmulator: the documented Atomscale endpoints on a real database, over HTTP, in Node or Deno. */
import { existsSync } from "node:fs";
import { chmod, mkdir, readdir } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { acquireLockFile } from "../node/lock-file.js";
import { createApp, type ListenAddress } from "./app.js";
import { STREAM_PREFIXES, type StreamPrefix } from "./stream-prefixes.js";
import { openDatabase } from "./database.js";
import { Store } from "./store.js";

export interface EmulatorOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** The API key to accept. @default the key stored in the database, or a new random one (stored for next time) */
  apiKey?: string;
  /** A PostgreSQL server URL. @default none: the embedded PGlite database */
  databaseUrl?: string;
  /** Where PGlite keeps its files. @default ".data/emulator" */
  dataDir?: string;
  /** Keep the embedded database in memory (nothing survives a restart). @default false */
  memory?: boolean;
  /** The built demo page to serve at `/`. @default the package's dist/demo */
  demoDir?: string;
  /** Largest request body in bytes; larger ones get 413. @default 16 MiB */
  maxBodyBytes?: number;
  /**
   * The stream path prefixes to serve; the others answer 404, as the platform will once it drops the
   * deprecated `/metrology` alias. @default ["/tool-state", "/metrology"]
   */
  streamPrefixes?: readonly StreamPrefix[];
  /** One line per request (method, path, status, time). @default none */
  log?: (line: string) => void;
}

export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:8765` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  /** "pglite" or "postgres". */
  readonly database: "pglite" | "postgres";
  /** The database's location (a directory, "memory", or the server URL without its password). */
  readonly databaseLocation: string;
  close(): Promise<void>;
}

export const DEFAULT_DATA_DIR = ".data/emulator";
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

interface DenoServer {
  addr: { port: number };
  shutdown(): Promise<void>;
}
interface DenoGlobal {
  serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (req: Request) => Response | Promise<Response>): DenoServer;
}

/**
 * Start the emulator.
 *
 * @example
 * const emu = await startEmulator({ memory: true });
 * // emu.url, emu.apiKey
 * await emu.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const streamPrefixes = checkPrefixes(options.streamPrefixes);
  const dataDir = options.databaseUrl || options.memory ? undefined : resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const lock = dataDir ? await acquireLock(dataDir) : undefined;
  let db;
  // The database worker dying is reported once here; from then on every request that needs the
  // database answers 500 (never 2xx) and /healthz 503.
  const onFailure = (error: Error) => (options.log ?? console.error)(`emulator: ${error.message}${error.cause instanceof Error ? ` Cause: ${error.cause.message}` : ""}`);
  try {
    db = await openDatabase({ databaseUrl: options.databaseUrl, dataDir, memory: options.memory, onFailure });
  } catch (error) {
    await lock?.release();
    throw error;
  }
  // The data directory holds the key: readable by its owner only.
  if (dataDir) await ownerOnly(dataDir);
  const store = new Store(db);
  let apiKey: string;
  try {
    await store.migrate();
    apiKey = options.apiKey ?? (await store.getSetting("api_key")) ?? newApiKey();
    // The emulator's own key is kept with its data, so a restart on the same data accepts the same key
    // and pending uploads resume. A key given explicitly is used as is and not stored.
    if (options.apiKey === undefined) await store.setSetting("api_key", apiKey);
  } catch (error) {
    await db.close();
    await lock?.release();
    throw error;
  }

  if (dataDir) await ownerOnly(dataDir);
  const host = options.host ?? "127.0.0.1";
  let address: ListenAddress | undefined;
  const app = createApp({
    store,
    apiKey,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    streamPrefixes,
    listenAddress: () => address,
    demoDir: options.demoDir ?? defaultDemoDir(),
    log: options.log,
  });
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    server = await listen(app.fetch, host, options.port ?? 0);
  } catch (error) {
    // A busy port: let the database and the data directory go, so the process can end and another can open them.
    await db.close();
    await lock?.release();
    throw error;
  }
  address = { hostname: host, port: server.port, interfaces: interfaceAddresses() };
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${server.port}`,
    port: server.port,
    apiKey,
    database: db.kind,
    databaseLocation: db.location,
    close: () =>
      (closing ??= (async () => {
        await server.close();
        await db.close();
        // Files PGlite made since the start (with the process umask) become the owner's only too.
        if (dataDir) await ownerOnly(dataDir).catch(() => {});
        await lock?.release();
      })()),
  };
}

function checkPrefixes(prefixes: readonly StreamPrefix[] | undefined): readonly StreamPrefix[] {
  if (prefixes === undefined) return STREAM_PREFIXES;
  if (!Array.isArray(prefixes) || prefixes.length === 0 || prefixes.some((p) => !STREAM_PREFIXES.includes(p))) {
    throw new TypeError(
      `startEmulator: streamPrefixes must be a non-empty list of ${STREAM_PREFIXES.map((p) => JSON.stringify(p)).join(" and ")}, got ${JSON.stringify(prefixes)}.`,
    );
  }
  return [...new Set(prefixes)];
}

/** Directories 0700 and files 0600, all the way down (PGlite's files are made with the process umask). */
async function ownerOnly(dir: string): Promise<void> {
  await chmod(dir, 0o700);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await ownerOnly(path);
    else if (entry.isFile()) await chmod(path, 0o600);
  }
}

function interfaceAddresses(): string[] {
  try {
    return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
  } catch {
    return [];
  }
}

function newApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  return `emu_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function defaultDemoDir(): string | undefined {
  // dist/emulator/start.js → dist/demo; lib/emulator/start.ts (tests) → dist/demo
  for (const candidate of ["../demo/", "../../dist/demo/"]) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  return undefined;
}

async function listen(
  fetch: (req: Request) => Response | Promise<Response>,
  hostname: string,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const deno = (globalThis as { Deno?: DenoGlobal }).Deno;
  if (deno) {
    const server = deno.serve({ port, hostname, onListen: () => {} }, fetch);
    return { port: server.addr.port, close: () => server.shutdown() };
  }
  const { serve } = await import("@hono/node-server");
  return new Promise((resolveListen, reject) => {
    const server = serve({ fetch, port, hostname }, (info) => {
      resolveListen({
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once("error", reject);
  });
}

/** One emulator per data directory: PGlite's files must not be opened twice. */
async function acquireLock(dataDir: string): Promise<{ release(): Promise<void> }> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  return acquireLockFile(dataDir, "emulator.lock", (pid) => `The data directory ${dataDir} is in use by another emulator (pid ${pid}). Stop it, or choose another --data-dir.`);
}
