/**
 * The public surface of the built package (dist/), entry by entry, against the list in surface.ts:
 * nothing added or removed by accident. `npm run build` first.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/emulator.js";
import { declarationGraph, declaredExports } from "./declared-exports.js";
import { BROWSER_BUNDLE_FILE, browserBundleValues, SURFACE } from "./surface.js";

const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
  exports: Record<string, string | { types: string; default: string }>;
};
const entries = Object.entries(SURFACE);

describe("the package's entries", () => {
  it("package.json exports exactly the listed entries, each with its declarations", () => {
    const subpaths = Object.keys(manifest.exports).filter((k) => k !== "./package.json");
    expect(subpaths.map((k) => (k === "." ? "atomscale-stream" : `atomscale-stream/${k.slice(2)}`)).sort()).toEqual(
      Object.keys(SURFACE).sort(),
    );
    for (const [name, entry] of entries) {
      const key = name === "atomscale-stream" ? "." : `./${name.slice("atomscale-stream/".length)}`;
      expect(manifest.exports[key], name).toEqual({ types: `./${entry.types}`, default: `./${entry.file}` });
    }
  });

  it.each(entries)("%s exports the listed values at run time", async (_name, entry) => {
    const module = (await import(pathToFileURL(join(ROOT, entry.file)).href)) as Record<string, unknown>;
    expect(Object.keys(module).sort()).toEqual(entry.values);
  });

  it("the declarations export the listed values and types, nothing else", () => {
    const declared = declaredExports(entries.map(([, e]) => join(ROOT, e.types)));
    for (const [name, entry] of entries) {
      expect(declared.get(join(ROOT, entry.types)), name).toEqual([...entry.values, ...entry.typeOnly].sort());
    }
  });

  it("the browser bundle holds the values of the root, /browser and /serial entries", async () => {
    const module = (await import(pathToFileURL(join(ROOT, BROWSER_BUNDLE_FILE)).href)) as Record<string, unknown>;
    expect(Object.keys(module).sort()).toEqual(browserBundleValues());
  });

  it("the root entry's declarations reach only its own files and ky's, and mention neither Web Serial nor IndexedDB", async () => {
    const graph = declarationGraph([join(ROOT, SURFACE["atomscale-stream"]!.types)]);
    expect(graph.length).toBeGreaterThan(5);
    for (const file of graph) {
      // Its own declarations and ky's (the client's options take ky's hooks), nothing else: not idb's.
      expect([join(ROOT, "dist/"), join(ROOT, "node_modules/ky/")].some((dir) => file.startsWith(dir)), file).toBe(true);
      const text = await readFile(file, "utf8");
      expect(text, file).not.toMatch(/\bSerialPort\b|\bnavigator\b|\bIDB[A-Z]\w*|from "idb"|\bDBSchema\b/);
    }
  });
});
