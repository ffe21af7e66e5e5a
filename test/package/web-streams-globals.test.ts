/**
 * The library takes Web Streams from the runtime's globals and ships no polyfill. A runtime without
 * them gets one clear error at import, naming what is missing and what to do. `npm run build` first.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/emulator.js";

const run = promisify(execFile);

async function importWithout(globals: string[]): Promise<Record<string, unknown>> {
  const script = `for (const name of ${JSON.stringify(globals)}) delete globalThis[name];
try {
  const lib = await import(${JSON.stringify(pathToFileURL(join(ROOT, "dist/index.js")).href)});
  console.log(JSON.stringify({ imported: Object.keys(lib).length }));
} catch (e) {
  console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message }));
}`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { timeout: 60_000 });
  return JSON.parse(stdout.trim()) as Record<string, unknown>;
}

describe("Web Streams globals", () => {
  it("with them (every supported runtime), the root entry imports", async () => {
    expect(await importWithout([])).toEqual({ imported: expect.any(Number) });
  });

  it("without them, the import fails with MissingWebStreamsError naming what is missing and the way out", async () => {
    const out = await importWithout(["TransformStream", "WritableStream"]);
    expect(out).toMatchObject({ name: "MissingWebStreamsError", code: "ERR_MISSING_WEB_STREAMS" });
    expect(out.message).toContain("lacks TransformStream, WritableStream");
    expect(out.message).toContain("web-streams-polyfill/polyfill");
  });
});
