/**
 * The emulator's storage: one small interface over a real PostgreSQL, either embedded (PGlite, on
 * disk or in memory) or a server (through postgres.js). Both take the same SQL with $1 parameters.
 *
 * Under Node, PGlite runs in a worker thread of its own (./database/pglite-thread.ts): the HTTP
 * requests are parsed and checked on the main thread while the database works on the other core.
 * Elsewhere (Deno), or with `thread: false`, it runs in the emulator's thread (./database/pglite.ts).
 */
import type { ParamType, ParamValue } from "./database/protocol.js";

export type Row = Record<string, unknown>;

export interface Queryable {
  query<T extends Row = Row>(text: string, params?: unknown[]): Promise<T[]>;
}

/** A value for {@link Database.execute}: text, a safe integer, null, or a list of these. */
export type SqlValue = ParamValue;
export type { ParamType };

/** A statement prepared once per database session, with the type of each parameter. */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
  readonly types: readonly ParamType[];
}

export interface Database extends Queryable {
  /**
   * Run a prepared statement (prepared on first use, planned once): the hot path. On PGlite its
   * parameters travel in binary (Bind/Execute, ./database/protocol.ts) and every column of the rows
   * comes back as text (or null); postgres.js prepares named statements per connection by itself.
   */
  execute<T extends Row = Row>(statement: PreparedStatement, params: SqlValue[]): Promise<T[]>;
  readonly kind: "pglite" | "postgres";
  /** Where the data lives, for humans: a directory, "memory", or the server URL without its password. */
  readonly location: string;
  /** Why the database can no longer be used (its worker stopped), or undefined while it can. */
  readonly failure: Error | undefined;
  /** Run several statements atomically. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Run a script of several statements (no parameters). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A PostgreSQL server, `postgres://user:password@host:port/db`. */
  databaseUrl?: string | undefined;
  /** Directory for the embedded database's files. */
  dataDir?: string | undefined;
  /** Keep the embedded database in memory only. */
  memory?: boolean | undefined;
  /**
   * Run PGlite in a worker thread. @default true under Node (where `node:worker_threads` exists and
   * the runtime is not Deno)
   */
  thread?: boolean | undefined;
  /** Told once when the database stops being usable (its worker died). */
  onFailure?: ((error: Error) => void) | undefined;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return (await import("./database/postgres.js")).openPostgres(options.databaseUrl);
  const dataDir = options.memory ? undefined : options.dataDir;
  const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  if (options.thread ?? !isDeno) return (await import("./database/pglite-thread.js")).openPgliteThread(dataDir, options.onFailure);
  return (await import("./database/pglite.js")).openPglite(dataDir);
}

/** A database URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable database URL)";
  }
}
