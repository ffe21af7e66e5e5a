/**
 * The whole project type-checks: library, tests, demo page and benchmarks (`tsc -p tsconfig.json
 * --noEmit`, the `typecheck` script). The type tests (test/streamer/event-types.test.ts,
 * test/serial/web-serial-events.test.ts: `expectTypeOf`, `@ts-expect-error`) assert only through this —
 * vitest runs them without looking at types — so `npm test` runs it.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/emulator.js";

describe("types", () => {
  it("tsc -p tsconfig.json --noEmit finds no error (types of lib, test, demo, bench)", async () => {
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const result = await promisify(execFile)(process.execPath, [tsc, "-p", "tsconfig.json", "--noEmit", "--pretty", "false"], { cwd: ROOT, maxBuffer: 16 << 20 }).then(
      () => ({ code: 0, out: "" }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, out: `${error.stdout ?? ""}${error.stderr ?? ""}` }),
    );
    expect(result.out.split("\n").filter((l) => /error TS\d+/.test(l))).toEqual([]);
    expect(result.code).toBe(0);
  }, 300_000);
});
