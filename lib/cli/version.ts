/** The package's version, read from its package.json (dist/cli/ → the package root). */
import { readFileSync } from "node:fs";

let cached: string | undefined;

export function packageVersion(): string {
  if (cached === undefined) {
    try {
      const json = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
      cached = typeof json.version === "string" ? json.version : "unknown";
    } catch {
      cached = "unknown";
    }
  }
  return cached;
}

/** What `--version` prints. */
export function versionLine(): string {
  return `atomscale-stream ${packageVersion()}`;
}
