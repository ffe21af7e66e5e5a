/**
 * The browser bundles: one ES module file each, `ky` and `idb` included, no bundler needed.
 *
 *   vite build -c vite.browser.config.ts               → dist/browser/atomscale-stream.js (published)
 *   vite build -c vite.browser.config.ts --mode test   → dist/test/atomscale-stream.js (tests only)
 *
 * The published file holds every entry a browser can run — `atomscale-stream`, `atomscale-stream/browser`
 * and `atomscale-stream/serial` — for a `<script type="module">` without an import map (README
 * "In a browser"). The test file (test/browser/bundle.ts) holds the same plus fixtures the browser tests
 * need; test/helpers/browser.ts loads it as `window.AtomscaleStream`.
 *
 * The graph must stay runtime-neutral. The guard below fails the build, naming the importer, when
 * anything in it reaches for a Node built-in, a server-side package or the Node-only parts of lib/ —
 * whatever the entries come to import later, no list of their files is kept here.
 */
import { builtinModules } from "node:module";
import { relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const ROOT = fileURLToPath(new URL(".", import.meta.url));

/** Packages that only make sense on a server (the emulator's storage and HTTP server). */
const SERVER_PACKAGES = ["@electric-sql/pglite", "postgres", "@hono/node-server", "hono"];
/** Node-only parts of lib/ (paths relative to the repository, "/"-separated). */
const SERVER_LIB = [/^lib\/emulator\//, /^lib\/cli\//, /^lib\/fs(\.ts|\/)/, /^lib\/api\/transport-node\.ts$/];

/** The published bundle's entry: the browser-capable entries of the package, re-exported as one module. */
const BROWSER_ENTRY = "virtual:atomscale-stream-browser";
const BROWSER_ENTRY_CODE = ["lib/index.ts", "lib/browser.ts", "lib/serial/index.ts"]
  .map((file) => `export * from ${JSON.stringify(fileURLToPath(new URL(file, import.meta.url)))};`)
  .join("\n");

function browserEntry(): Plugin {
  return {
    name: "atomscale-stream:browser-entry",
    enforce: "pre",
    // Vite makes a lib entry an absolute path: match its end.
    resolveId: (source) => (source.endsWith(BROWSER_ENTRY) ? `\0${BROWSER_ENTRY}` : null),
    load: (id) => (id === `\0${BROWSER_ENTRY}` ? BROWSER_ENTRY_CODE : null),
  };
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

function shortPath(id: string | undefined): string {
  if (!id) return "(entry)";
  return relative(ROOT, id).split(sep).join("/");
}

function browserOnlyGuard(): Plugin {
  const refuse = (what: string, importer: string | undefined) =>
    `vite.browser.config.ts: the browser bundle must not include ${what} (imported by ${shortPath(importer)}). ` +
    `Keep Node-only code out of the graph of lib/index.ts.`;
  return {
    name: "atomscale-stream:browser-only",
    enforce: "pre",
    resolveId(source, importer) {
      if (source.startsWith("node:") || NODE_BUILTINS.has(source)) {
        this.error(refuse(`the Node built-in "${source}"`, importer));
      }
      if (!source.startsWith(".") && !source.startsWith("/") && SERVER_PACKAGES.includes(packageName(source))) {
        this.error(refuse(`the server-side package "${packageName(source)}"`, importer));
      }
      return null;
    },
    load(id) {
      if (id.startsWith("\0")) return null;
      const path = shortPath(id.split("?")[0]);
      if (SERVER_LIB.some((re) => re.test(path))) {
        this.error(`vite.browser.config.ts: the browser bundle must not include ${path}, a Node-only part of lib/.`);
      }
      return null;
    },
  };
}

export default defineConfig(({ mode }) => {
  const test = mode === "test";
  return {
    root: ROOT,
    // Nothing to copy: this build only writes the bundle (and its source map).
    publicDir: false,
    plugins: [browserEntry(), browserOnlyGuard()],
    // The runtime's transport (package.json "imports"): in a browser, fetch — from the source, like the rest.
    resolve: { alias: [{ find: /^#transport$/, replacement: fileURLToPath(new URL("./lib/api/transport-fetch.ts", import.meta.url)) }] },
    build: {
      outDir: test ? "dist/test" : "dist/browser",
      // dist/ is shared with tsc's output and the demo build: write our file, wipe nothing.
      emptyOutDir: false,
      target: "es2022",
      minify: false,
      sourcemap: test,
      lib: {
        entry: test ? "test/browser/bundle.ts" : BROWSER_ENTRY,
        formats: ["es"],
        fileName: () => "atomscale-stream.js",
      },
      rolldownOptions: {
        output: {
          // One file even if lib/ grows dynamic imports.
          codeSplitting: false,
        },
      },
    },
  };
});
