/**
 * The npm tarball in a browser, without a bundler, as the README shows it: a page whose
 * `<script type="module">` imports (a) the self-contained file dist/browser/atomscale-stream.js, or
 * (b) the package's own entries through an import map (with ky and idb from node_modules). Debian's
 * Chromium through playwright-core; the import and the import map are taken from the README. Each page
 * streams into the emulator with an IndexedDbOutbox, and the server is read back point by point.
 * `npm run build` first.
 */
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS_DIR, CHROMIUM, requireChromium, skipBrowser } from "../helpers/browser.js";
import { emulatorOn, ROOT, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { installProject, packRepository, removeTemporaries } from "./packed.js";
import { BROWSER_BUNDLE_FILE, browserBundleValues } from "./surface.js";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"];
const TYPES: Record<string, string> = { ".js": "text/javascript; charset=utf-8", ".html": "text/html; charset=utf-8", ".json": "application/json" };

/** The page's stream: 25 points of one channel, pushed as three slices, then finalized. */
const STREAM = `
    const points = Array.from({ length: 25 }, (_, i) => [1764000000 + i, 600 + i / 4]);
    const params = new URLSearchParams(location.hash.slice(1));
    const streamer = new TimeseriesStreamer({ apiKey: params.get("key"), endpoint: location.origin, pointsPerChunk: 10, outbox: new IndexedDbOutbox({ name: params.get("db") }) });
    const dataId = await streamer.initialize({ streamName: document.title });
    for (let chunkIndex = 0; chunkIndex * 10 < points.length; chunkIndex++) {
      const slice = points.slice(chunkIndex * 10, chunkIndex * 10 + 10);
      await streamer.push(dataId, { chunkIndex, channelName: "temperature", timestamps: slice.map((p) => p[0]), values: slice.map((p) => p[1]), units: "C" });
    }
    const { status } = await streamer.finalize(dataId);
    await streamer.close();`;

function page(title: string, head: string, imports: string, exportsExpr: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>${head}</head>
<body><pre id="out">running…</pre>
<script type="module">
  ${imports}
  try {${STREAM}
    window.__result = { exports: ${exportsExpr}, dataId, status };
  } catch (error) {
    window.__result = { error: String(error?.stack ?? error) };
  }
  document.getElementById("out").textContent = JSON.stringify(window.__result, null, 1);
</script></body></html>`;
}

/** What the README's "In a browser, without a bundler" shows: the one-file import, and the import map. */
const README = await readFile(join(ROOT, "README.md"), "utf8");
const SECTION = README.slice(README.indexOf("\n### In a browser, without a bundler\n"));
const README_FILE_IMPORT = /from "(\.\/node_modules\/atomscale-stream\/[^"]+)"/.exec(SECTION)?.[1];
const README_IMPORT_MAP = /<script type="importmap">\n([\s\S]*?)\n<\/script>/.exec(SECTION)?.[1];

const PAGES: Record<string, string> = {
  "script-tag.html": page(
    "atomscale-stream from one file",
    "",
    `import * as lib from "${README_FILE_IMPORT}";
  const { TimeseriesStreamer, IndexedDbOutbox } = lib;`,
    "Object.keys(lib).sort()",
  ),
  "import-map.html": page(
    "atomscale-stream through an import map",
    `<script type="importmap">\n${README_IMPORT_MAP}\n</script>`,
    `import * as root from "atomscale-stream";
  import * as browser from "atomscale-stream/browser";
  import * as serial from "atomscale-stream/serial";
  const { TimeseriesStreamer } = root;
  const { IndexedDbOutbox } = browser;`,
    "[...Object.keys(root), ...Object.keys(browser), ...Object.keys(serial)].sort()",
  ),
};

let emu: RunningEmulator | undefined;
let browser: Browser | undefined;
let project: string;
beforeAll(async () => {
  if (skipBrowser) return;
  requireChromium();
  project = await installProject(await packRepository());
  emu = await emulatorOn("pglite");
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 60_000 });
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await emu?.stop();
  await removeTemporaries();
});

describe("the npm tarball in Chromium, no bundler", () => {
  it("the README shows the browser file and an import map of the package's entries", () => {
    expect(README_FILE_IMPORT).toBe(`./node_modules/atomscale-stream/${BROWSER_BUNDLE_FILE}`);
    const map = JSON.parse(README_IMPORT_MAP!) as { imports: Record<string, string> };
    expect(Object.keys(map.imports).sort()).toEqual(["atomscale-stream", "atomscale-stream/browser", "atomscale-stream/serial", "idb", "ky"]);
  });

  it.skipIf(skipBrowser).each(Object.keys(PAGES))("%s imports the package and streams; the server holds every point", async (file) => {
    const context = await browser!.newContext();
    try {
      // The page and the installed project's files, served on the emulator's origin (the API is same-origin).
      await context.route(`${emu!.url}/app/**`, async (route) => {
        const path = normalize(new URL(route.request().url()).pathname.slice("/app/".length));
        if (PAGES[path] !== undefined) return route.fulfill({ status: 200, contentType: TYPES[".html"], body: PAGES[path] });
        if (!path.startsWith("node_modules/")) return route.fulfill({ status: 404, body: "not found" });
        try {
          const body = await readFile(join(project, path));
          return route.fulfill({ status: 200, contentType: TYPES[extname(path)] ?? "application/octet-stream", body });
        } catch {
          return route.fulfill({ status: 404, body: `${path}: not in the installed project` });
        }
      });
      const tab = await context.newPage();
      const errors: string[] = [];
      tab.on("pageerror", (e) => errors.push(e.stack ?? e.message));
      await tab.goto(`${emu!.url}/app/${file}#key=${encodeURIComponent(emu!.apiKey)}&db=${file}`);
      await tab.waitForFunction(() => (window as { __result?: unknown }).__result !== undefined, null, { timeout: 90_000 });
      const result = (await tab.evaluate(() => (window as { __result?: unknown }).__result)) as {
        exports?: string[];
        dataId?: string;
        status?: string;
        error?: string;
      };
      await tab.screenshot({ path: join(ARTIFACTS_DIR, `package-${file.replace(".html", "")}.png`) });
      expect(errors).toEqual([]);
      expect(result.error).toBeUndefined();
      expect(result.exports).toEqual(browserBundleValues());
      expect(result.status).toBe("finalized");

      const back = await readBack(emu!, result.dataId!);
      expect(Object.keys(back.properties)).toEqual(["temperature"]);
      expect(back.properties.temperature).toMatchObject({
        values: Array.from({ length: 25 }, (_, i) => 600 + i / 4),
        unix_timestamp_ms: Array.from({ length: 25 }, (_, i) => (1_764_000_000 + i) * 1000),
        units: "C",
      });
    } finally {
      await context.close();
    }
  });
});
