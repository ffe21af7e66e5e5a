/**
 * The emulator's storage: one small interface over a real PostgreSQL, either embedded (PGlite,
 * on disk or in memory) or a server (through postgres.js). Both take the same SQL with $1 parameters.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

export type Row = Record<string, unknown>;

export interface Queryable {
  query<T extends Row = Row>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * One statement without parameters, through the simple query protocol (one round trip, no
   * parse/describe/bind): the hot path, whose values are inlined with {@link sqlText}.
   */
  simpleQuery<T extends Row = Row>(text: string): Promise<T[]>;
}

/**
 * A text value as an SQL literal: an escape string (`E'…'`), so the result is the same whatever
 * `standard_conforming_strings` says. NUL cannot be written (PostgreSQL text cannot hold it): callers
 * refuse it before (the emulator answers 422).
 */
export function sqlText(value: string): string {
  if (value.includes("\u0000")) throw new TypeError("sqlText: text containing NUL cannot be stored");
  return `E'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** A value for {@link Database.execute}: text, a finite number, null, or a list of these. */
export type SqlValue = string | number | null | Array<string | number | null>;

/** A statement prepared once per database session; its parameters carry casts (`$1::text[]`). */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

export interface Database extends Queryable {
  /**
   * Run a prepared statement (prepared on first use, planned once): the hot path. PGlite runs
   * `EXECUTE` with the values inlined as literals (one simple-protocol round trip); postgres.js
   * prepares named statements per connection by itself.
   */
  execute<T extends Row = Row>(statement: PreparedStatement, params: SqlValue[]): Promise<T[]>;
  readonly kind: "pglite" | "postgres";
  /** Where the data lives, for humans: a directory, "memory", or the server URL without its password. */
  readonly location: string;
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
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl);
  return openPglite(options.memory ? undefined : options.dataDir);
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  let dir: string | undefined;
  if (dataDir !== undefined) {
    dir = join(dataDir, "pgdata");
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  const db = await PGlite.create(dir);
  // In memory nothing survives the process anyway: do not flush the WAL at every commit.
  if (dir === undefined) await db.exec("set synchronous_commit = off");
  const asQueryable = (q: { query: typeof db.query; exec: typeof db.exec }): Queryable => ({
    async query<T extends Row>(text: string, params?: unknown[]) {
      return (await q.query<T>(text, params)).rows;
    },
    async simpleQuery<T extends Row>(text: string) {
      const results = await q.exec(text);
      return (results[results.length - 1]?.rows ?? []) as T[];
    },
  });
  /** Statements prepared (or being prepared: concurrent first uses wait for the one PREPARE). */
  const prepared = new Map<string, Promise<void>>();
  return {
    kind: "pglite",
    location: dir ?? "memory",
    ...asQueryable(db),
    async execute<T extends Row>(statement: PreparedStatement, params: SqlValue[]) {
      let preparing = prepared.get(statement.name);
      if (!preparing) {
        preparing = db.exec(`prepare ${statement.name} as ${statement.text}`).then(() => {});
        prepared.set(statement.name, preparing);
        preparing.catch(() => prepared.delete(statement.name));
      }
      await preparing;
      const results = await db.exec(`execute ${statement.name}(${params.map(sqlLiteral).join(", ")})`);
      return (results[results.length - 1]?.rows ?? []) as T[];
    },
    transaction: (fn) => db.transaction((tx) => fn(asQueryable(tx))),
    exec: async (script) => {
      await db.exec(script);
    },
    close: () => db.close(),
  };
}

async function openPostgres(url: string): Promise<Database> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, {
    max: 8,
    onnotice: () => {},
    // int8 as a JS number, as PGlite does (counts and chunk indices stay far below 2^53).
    types: {
      int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
  });
  const asQueryable = (q: { unsafe: typeof sql.unsafe }): Queryable => ({
    async query<T extends Row>(text: string, params?: unknown[]) {
      return (await q.unsafe(text, (params ?? []) as never[])) as unknown as T[];
    },
    async simpleQuery<T extends Row>(text: string) {
      return (await q.unsafe(text)) as unknown as T[];
    },
  });
  let session: Awaited<ReturnType<typeof sql.reserve>>;
  try {
    session = await sql.reserve();
  } catch (cause) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw new Error(`Cannot reach the PostgreSQL server at ${redact(url)}: ${(cause as Error).message}`, { cause });
  }
  // One emulator per database (it keeps the channels' totals in memory): a session-level advisory
  // lock, held on a connection of its own, released when the emulator closes or its process dies.
  const [lock] = await session.unsafe(`select pg_try_advisory_lock(${EMULATOR_LOCK_KEY}) as locked`);
  if (!(lock as { locked?: boolean } | undefined)?.locked) {
    session.release();
    await sql.end({ timeout: 1 }).catch(() => {});
    throw new Error(`The database ${redact(url)} is in use by another emulator. Stop it, or give this one a database of its own.`);
  }
  return {
    kind: "postgres",
    location: redact(url),
    ...asQueryable(sql),
    async execute<T extends Row>(statement: PreparedStatement, params: SqlValue[]) {
      return (await sql.unsafe(statement.text, params as never[], { prepare: true })) as unknown as T[];
    },
    transaction: async (fn) => (await sql.begin((tx) => fn(asQueryable(tx)))) as Awaited<ReturnType<typeof fn>>,
    exec: async (script) => {
      await sql.unsafe(script);
    },
    close: async () => {
      session.release();
      await sql.end({ timeout: 5 });
    },
  };
}

/** A value as an SQL literal: text through {@link sqlText}, lists as array literals. */
export function sqlLiteral(value: SqlValue): string {
  if (value === null) return "null";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`sqlLiteral: ${value} is not a finite number`);
    return String(value);
  }
  if (typeof value === "string") return sqlText(value);
  const element = (x: string | number | null) =>
    x === null ? "NULL" : typeof x === "number" ? sqlLiteral(x) : `"${x.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  return sqlText(`{${value.map(element).join(",")}}`);
}

/** The advisory lock key that marks a database as in use by an emulator ("atomscale emulator"). */
const EMULATOR_LOCK_KEY = 7_274_683_001;

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
