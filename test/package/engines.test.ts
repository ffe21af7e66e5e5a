/**
 * The Node versions we promise (`engines.node` in package.json) are ones every package a library user
 * installs accepts: a runtime dependency that asks for a newer Node (as log-update 8 asks for Node 22)
 * would print EBADENGINE warnings on install and fail outright under `engine-strict`. Read from the
 * committed lockfile, so the check holds for what `npm ci` installs.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/emulator.js";

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  engines?: { node?: string };
}

/** [major, minor, patch] of "20.19" / "20.19.0" / "v20". */
function parse(v: string): [number, number, number] {
  const [a = 0, b = 0, c = 0] = v.replace(/^[v=]/, "").split(".").map((x) => Number.parseInt(x, 10) || 0);
  return [a, b, c];
}
const cmp = (x: [number, number, number], y: [number, number, number]): number => x[0] - y[0] || x[1] - y[1] || x[2] - y[2];

/**
 * Whether a Node version satisfies a range of the forms npm packages use for `engines.node`:
 * `>=a.b.c`, `^a.b.c`, `>a`, `<a`, `a.x`, space-joined comparators and `||` alternatives.
 */
export function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  return range.split("||").some((alt) =>
    alt
      .trim()
      .split(/\s+/)
      .filter((c) => c !== "" && c !== "*")
      .every((comparator) => {
        const m = /^(>=|<=|>|<|\^|~|=)?\s*v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/.exec(comparator);
        if (!m) throw new Error(`engines.node comparator not understood: ${JSON.stringify(comparator)} in ${JSON.stringify(range)}`);
        const op = m[1] ?? "=";
        const wild = m[3] === undefined || m[3] === "x" || m[3] === "*";
        const base: [number, number, number] = [Number(m[2]), wild ? 0 : Number(m[3]), m[4] === undefined || m[4] === "x" || m[4] === "*" ? 0 : Number(m[4])];
        const c = cmp(v, base);
        switch (op) {
          case ">=":
            return c >= 0;
          case ">":
            return c > 0;
          case "<=":
            return c <= 0;
          case "<":
            return c < 0;
          case "^":
            return c >= 0 && v[0] === base[0];
          case "~":
            return c >= 0 && v[0] === base[0] && v[1] === base[1];
          default:
            return wild ? v[0] === base[0] : c === 0;
        }
      }),
  );
}

describe("engines", () => {
  it("the range reader understands the forms packages use", () => {
    expect(satisfies("20.19.0", ">=18")).toBe(true);
    expect(satisfies("20.19.0", ">=22")).toBe(false);
    expect(satisfies("20.19.0", "^20.19.0 || >=22.12.0")).toBe(true);
    expect(satisfies("20.18.0", "^20.19.0 || >=22.12.0")).toBe(false);
    expect(satisfies("20.19.0", ">=14.16 <23")).toBe(true);
    expect(satisfies("20.19.0", "^18.0.0 || ^22.0.0")).toBe(false);
  });

  it("every package a library user installs accepts the lowest Node that package.json's engines names", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { engines: { node: string } };
    const lowest = /^>=\s*v?([\d.]+)$/.exec(pkg.engines.node.trim());
    expect(lowest, `package.json engines.node is ${pkg.engines.node}`).not.toBeNull();
    const lock = JSON.parse(await readFile(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
    const runtime = Object.entries(lock.packages).filter(([path, e]) => path !== "" && !e.dev && !e.devOptional && !e.optional);
    expect(runtime.length).toBeGreaterThan(2); // ky, idb, log-update and theirs
    const refusing = runtime
      .filter(([, e]) => e.engines?.node !== undefined && !satisfies(lowest![1]!, e.engines.node))
      .map(([path, e]) => `${path.replace(/^.*node_modules\//, "")}@${e.version} wants node ${e.engines!.node}`);
    expect(refusing, `package.json says node ${pkg.engines.node}`).toEqual([]);
  });
});
