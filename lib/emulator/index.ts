/**
 * `atomscale-stream/emulator` — a local stand-in for the Atomscale API (Node and Deno only).
 * Its packages (Hono, @hono/node-server, PGlite, postgres.js) are optional peer dependencies of the
 * library: `startEmulator` loads them when called and names what to install when one is missing.
 */
export { startEmulator, EmulatorDependencyError } from "./peer-dependencies.js";
export type { Emulator, EmulatorOptions } from "./start.js";
