/**
 * `atomscale-stream/browser` — what only a browser can run: the IndexedDB outbox (through `idb`).
 * Its types need the DOM library; the root entry stays free of them.
 */
export { IndexedDbOutbox, OutboxQuotaError } from "./outbox/indexeddb.js";
export type { IndexedDbOutboxOptions, OutboxQuotaDetails } from "./outbox/indexeddb.js";
