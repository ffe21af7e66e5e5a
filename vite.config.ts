import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// One config for the demo page (Vite) and the test runner (Vitest).
export default defineConfig({
  root: "demo",
  // The page is built from the library's source (the same code the package ships).
  resolve: {
    alias: [
      { find: /^atomscale-stream\/browser$/, replacement: fileURLToPath(new URL("./lib/browser.ts", import.meta.url)) },
      { find: /^atomscale-stream\/serial$/, replacement: fileURLToPath(new URL("./lib/serial/index.ts", import.meta.url)) },
      { find: /^atomscale-stream$/, replacement: fileURLToPath(new URL("./lib/index.ts", import.meta.url)) },
    ],
  },
  base: "./",
  build: {
    outDir: "../dist/demo",
    emptyOutDir: true,
    // One script: the service worker precaches what the HTML names, so a chunk loaded later (the client
    // imports ky at its first request that is not an upload) would be missing after a reload offline.
    rollupOptions: { output: { inlineDynamicImports: true } },
  },
  test: {
    root: ".",
    // Tests run the library's source under Node: its Node transport (package.json "imports" maps the
    // published files the same way).
    alias: [{ find: /^#transport$/, replacement: fileURLToPath(new URL("./lib/api/transport-node.ts", import.meta.url)) }],
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file starts its own emulator process; two cores, so keep the fan-out small.
    maxWorkers: 2,
  },
});
