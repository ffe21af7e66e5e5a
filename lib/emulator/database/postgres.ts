/** The emulator's database on a PostgreSQL server, through postgres.js. */
import type { Database, Queryable, Row, SqlValue, PreparedStatement } from "../database.js";
import { redact } from "../database.js";

/** The advisory lock key that marks a database as in use by an emulator ("atomscale emulator"). */
const EMULATOR_LOCK_KEY = 7_274_683_001;

export async function openPostgres(url: string): Promise<Database> {
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
    failure: undefined,
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
