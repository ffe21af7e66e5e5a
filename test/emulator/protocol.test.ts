/**
 * The hot path's extended protocol (lib/emulator/database/protocol.ts) against PGlite in this thread
 * (as under Deno) and in its worker: binary parameters arrive as sent, rows come back as text by
 * column name, and a server error is an error with its SQLSTATE.
 */
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Database, type PreparedStatement } from "../../lib/emulator/database.js";

const ECHO: PreparedStatement = {
  name: "test_echo",
  text: `select $1::int4[] as a, $2::int8[] as b, $3::text[] as c, $4::text as d, $5::int8 as e, array_length($3::text[], 1) as n`,
  types: ["int4[]", "int8[]", "text[]", "text", "int8"],
};

describe.each([{ thread: false }, { thread: true }])("prepared statements with binary parameters (thread: $thread)", ({ thread }) => {
  let db: Database;
  afterAll(async () => {
    await db?.close();
  });

  it("round-trips int4, int8 (negative, beyond 32 bits), text (quotes, backslashes, braces, non-ASCII) and NULLs", async () => {
    db = await openDatabase({ memory: true, thread });
    const text = [`a "quoted", {braced} \\ back`, "ünïcödé ✓ 𝄞", null, "[1,2.5e-7,-3]"];
    const [row] = await db.execute(ECHO, [[1, -2, 2147483647], [-1_764_000_000_123, 2 ** 53 - 1, 0], text, "it's", -5_000_000_000]);
    expect(row).toEqual({
      a: "{1,-2,2147483647}",
      b: `{-1764000000123,${2 ** 53 - 1},0}`,
      c: `{"a \\"quoted\\", {braced} \\\\ back","ünïcödé ✓ 𝄞",NULL,"[1,2.5e-7,-3]"}`,
      d: "it's",
      e: "-5000000000",
      n: "4",
    });
    // Prepared once, run again with other values.
    const [again] = await db.execute(ECHO, [[], [], ["x"], null, null]);
    expect(again).toEqual({ a: "{}", b: "{}", c: "{x}", d: null, e: null, n: "1" });
  }, 60_000);

  it("a server error rejects with the SQLSTATE, and the session goes on", async () => {
    await expect(db.execute({ name: "test_bad", text: "select 1 / $1::int4 as x", types: ["int4"] }, [0])).rejects.toMatchObject({
      code: "22012",
      message: expect.stringMatching(/division by zero/),
    });
    expect(await db.execute({ name: "test_bad", text: "select 1 / $1::int4 as x", types: ["int4"] }, [2])).toEqual([{ x: "0" }]);
    expect(await db.query(`select 41 + 1 as y`)).toEqual([{ y: 42 }]);
  }, 60_000);

  it("a statement's first use just before a transaction opens is not taken into it: the transaction's rollback keeps its write", async () => {
    await db.query(`create table t_order (x int4)`);
    const insert: PreparedStatement = { name: "test_insert_order", text: "insert into t_order select unnest($1::int4[])", types: ["int4[]"] };
    const written = db.execute(insert, [[1, 2, 3]]);
    const rolledBack = db.transaction(async (tx) => {
      await tx.query(`insert into t_order values (100)`);
      throw new Error("roll back");
    });
    await written;
    await expect(rolledBack).rejects.toThrow("roll back");
    expect(await db.query(`select x from t_order order by x`)).toEqual([{ x: 1 }, { x: 2 }, { x: 3 }]);
  }, 60_000);

  it("refuses a value of the wrong type before sending anything", async () => {
    await expect(db.execute(ECHO, [[1.5], [], [], null, null])).rejects.toThrow(/parameter \$1: int4 expected, got 1.5/);
    await expect(db.execute(ECHO, [[1], [], [], null])).rejects.toThrow(/takes 5 parameters, got 4/);
  });
});
