/** The path prefixes the emulator's stream routes are served under (the platform renamed metrology → tool-state). */
export type StreamPrefix = "/tool-state" | "/metrology";
export const STREAM_PREFIXES: readonly StreamPrefix[] = ["/tool-state", "/metrology"];
