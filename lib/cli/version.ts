/** The package's version, read from its package.json (dist/cli/ and lib/cli/ both sit two levels below it). */
import { readFileSync } from "node:fs";

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return String(manifest.version);
}
