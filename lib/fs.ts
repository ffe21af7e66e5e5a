/** `atomscale-stream/fs` — the file outbox, for Node and Deno (through `node:fs`). */
export { FileOutbox } from "./outbox/file.js";
export type { FileOutboxOptions, FileSystem } from "./outbox/file.js";
