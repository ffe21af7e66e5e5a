/**
 * The page opens after a reload during an outage from what its service worker precached: the HTML and
 * every file the HTML names (demo/public/sw.js). A script chunk loaded later — a dynamic import, such as
 * the client's lazy import of ky — would not be cached, and offline the page could then never make a
 * request that is not an upload (initialize, read-back, finalize): the finalize after Stop stayed
 * deferred for ever. So the built page has one script, named by its HTML, and nothing it imports later.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/emulator.js";

const DEMO = join(ROOT, "dist/demo");

describe("the page's offline shell", () => {
  it("every script of the built page is named by its HTML (the service worker precaches those), and none imports another", async () => {
    const html = await readFile(join(DEMO, "index.html"), "utf8");
    const named = new Set([...html.matchAll(/(?:src|href)="\.?\/?([^"]+)"/g)].map((m) => m[1]!));
    const scripts = (await readdir(join(DEMO, "assets"))).filter((f) => f.endsWith(".js")).map((f) => `assets/${f}`);
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.filter((s) => !named.has(s))).toEqual([]);
    for (const s of scripts) {
      const code = await readFile(join(DEMO, s), "utf8");
      expect(code, `${s} imports a chunk at run time`).not.toMatch(/import\(\s*["'`]\.\.?\//);
    }
  });
});
