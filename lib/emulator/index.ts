/** `atomscale-stream/emulator` — a local stand-in for the Atomscale API (Node and Deno only). */
export { startEmulator, DEFAULT_DATA_DIR, DEFAULT_MAX_BODY_BYTES } from "./start.js";
export type { Emulator, EmulatorOptions } from "./start.js";
export { createApp, STREAM_PREFIXES } from "./app.js";
export type { AppOptions, ListenAddress, StreamPrefix } from "./app.js";
export { openDatabase } from "./database.js";
export type { Database, DatabaseOptions } from "./database.js";
export { Store, EXAMPLE_INSTRUMENT } from "./store.js";
