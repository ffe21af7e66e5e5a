/**
 * The browser bundle: `lib/index.ts` (the runtime-neutral entry) and everything it imports, `ky`
 * included, as one ES module file, `dist/browser/atomscale-stream.js`. Used by the browser tests
 * (test/helpers/browser.ts) and usable from a `<script type="module">` without a bundler.
 *
 *   vite build -c vite.browser.config.ts      (part of `npm run build`)
 *
 * The entry must stay runtime-neutral. The guard below fails the build, naming the importer, when
 * anything in the graph reaches for a Node built-in, a server-side package or the Node-only parts
 * of lib/ — whatever lib/index.ts comes to import later, no list of its files is kept here.
 */
import { builtinModules } from "node:module";
import { relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const ROOT = fileURLToPath(new URL(".", import.meta.url));

/** Packages that only make sense on a server (the emulator's storage and HTTP server). */
const SERVER_PACKAGES = ["@electric-sql/pglite", "postgres", "@hono/node-server", "hono"];
/** Node-only parts of lib/ (paths relative to the repository, "/"-separated). */
const SERVER_LIB = [/^lib\/emulator\//, /^lib\/cli\//, /^lib\/fs(\.ts|\/)/];

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
      const path = shortPath(id.split("?")[0]);
      if (SERVER_LIB.some((re) => re.test(path))) {
        this.error(`vite.browser.config.ts: the browser bundle must not include ${path}, a Node-only part of lib/.`);
      }
      return null;
    },
  };
}

export default defineConfig({
  root: ROOT,
  // Nothing to copy: this build only writes the bundle (and its source map).
  publicDir: false,
  plugins: [browserOnlyGuard()],
  build: {
    outDir: "dist/browser",
    // dist/ is shared with tsc's output and the demo build: write our file, wipe nothing.
    emptyOutDir: false,
    target: "es2022",
    minify: false,
    sourcemap: true,
    lib: {
      entry: "lib/index.ts",
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
});
