/**
 * PGlite (embedded PostgreSQL in WebAssembly), on disk or in memory: opening it, and running the
 * hot path's prepared statements over the extended protocol with binary parameters. Used in the
 * emulator's own thread (Deno, or `thread: false`) and inside the database worker (./pglite-worker.ts).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type { Database, PreparedStatement, Queryable, Row, SqlValue } from "../database.js";
import { bindExecuteMessage, parseMessage, readRows } from "./protocol.js";

/** Open PGlite: under `dataDir/pgdata` (made 0700), or in memory when `dataDir` is undefined. */
export async function createPglite(dataDir: string | undefined): Promise<PGlite> {
  const { PGlite } = await import("@electric-sql/pglite");
  let dir: string | undefined;
  if (dataDir !== undefined) {
    dir = join(dataDir, "pgdata");
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  const db = await PGlite.create(dir);
  // In memory nothing survives the process anyway: do not flush the WAL at every commit.
  if (dir === undefined) await db.exec("set synchronous_commit = off");
  return db;
}

/** Where PGlite keeps its files, for humans. */
export const pgliteLocation = (dataDir: string | undefined): string => (dataDir === undefined ? "memory" : join(dataDir, "pgdata"));

/**
 * Prepared statements of one PGlite session: Parse on first use, then Bind/Execute/Sync with the
 * parameters already encoded (`bindExecuteMessage`). Parse and the statement run in one turn of
 * PGlite's locks, so nothing (an explicit transaction's BEGIN above all) can come between them, and
 * concurrent first uses prepare once.
 */
export class PgliteStatements {
  readonly #prepared = new Set<string>();
  constructor(private readonly db: PGlite) {}

  run(statement: { name: string; text: string; types: PreparedStatement["types"] }, bind: Uint8Array): Promise<Array<Record<string, string | null>>> {
    return this.db._runExclusiveTransaction(() =>
      this.db._runExclusiveQuery(async () => {
        if (!this.#prepared.has(statement.name)) {
          readRows(await this.db.execProtocolRaw(parseMessage(statement.name, statement.text, statement.types)));
          this.#prepared.add(statement.name);
        }
        return readRows(await this.db.execProtocolRaw(bind));
      }),
    );
  }
}

/** PGlite in this thread, as a {@link Database}. */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const db = await createPglite(dataDir);
  const statements = new PgliteStatements(db);
  const asQueryable = (q: { query: PGlite["query"] }): Queryable => ({
    async query<T extends Row>(text: string, params?: unknown[]) {
      return (await q.query<T>(text, params)).rows;
    },
  });
  return {
    kind: "pglite",
    location: pgliteLocation(dataDir),
    failure: undefined,
    ...asQueryable(db),
    async execute<T extends Row>(statement: PreparedStatement, params: SqlValue[]) {
      return (await statements.run(statement, bindExecuteMessage(statement.name, statement.types, params))) as unknown as T[];
    },
    transaction: (fn) => db.transaction((tx) => fn(asQueryable(tx))),
    exec: async (script) => {
      await db.exec(script);
    },
    close: () => db.close(),
  };
}
