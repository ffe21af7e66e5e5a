/**
 * What the browser tests load as `window.AtomscaleStream` (test/helpers/browser.ts): every entry a
 * browser can run — the same names as the published bundle dist/browser/atomscale-stream.js — plus
 * a few internals and fixtures the tests need. Built by `vite build -c vite.browser.config.ts --mode test`
 * (part of `npm run build`) into dist/test/, which is not published.
 */
export * from "../../lib/index.js";
export * from "../../lib/browser.js";
export * from "../../lib/serial/index.js";
export { sliceBytes } from "../../lib/outbox/outbox.js";
export { INDEXEDDB_SCHEMA_VERSION } from "../../lib/outbox/indexeddb.js";
export { createVersion1OutboxDatabase } from "../fixtures/indexeddb-v1.js";
