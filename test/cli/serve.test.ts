/** `atomscale-stream serve` as a user runs it: help, bad options, what it prints, and a clean stop. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { BIN, http, spawnServe } from "../helpers/emulator.js";

const run = promisify(execFile);
async function cli(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("atomscale-stream serve", () => {
  it("documents its options in --help", async () => {
    const top = await cli(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("serve");
    const help = await cli(["serve", "--help"]);
    expect(help.code).toBe(0);
    for (const flag of ["--port", "--api-key", "--data-dir", "--memory", "--database-url"]) expect(help.stdout).toContain(flag);
  });

  it("exits 2 with a message naming the problem for bad usage", async () => {
    const port = await cli(["serve", "--port", "http"]);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port must be an integer from 0 to 65535, got "http"');
    const both = await cli(["serve", "--memory", "--data-dir", "/tmp/x"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("choose one of --data-dir, --memory and --database-url");
    const unknown = await cli(["serve", "--colour"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--colour");
    const command = await cli(["serv"]);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "serv"');
  });

  it("prints its URL, key and database, serves the demo page at /, and stops cleanly on SIGINT", async () => {
    const emu = await spawnServe({ args: ["--memory"] });
    // The lines after the URL and the key may come in a later chunk of output.
    for (let i = 0; i < 200 && !/Press Ctrl\+C to stop/.test(emu.output()); i++) await new Promise((r) => setTimeout(r, 25));
    expect(emu.output()).toMatch(/Database: PGlite \(memory\)/);
    const page = await fetch(`${emu.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain("atomscale-stream");
    const script = /src="\.?\/?(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, html).toBeDefined();
    const asset = await fetch(`${emu.url}/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toContain("javascript");
    expect((await fetch(`${emu.url}/../package.json`)).status).toBe(404);
    expect((await http(emu)("GET", "/healthz", undefined, { "X-API-KEY": "" })).body).toEqual({ status: "ok" });
    // the page it serves learns its endpoint and key; a page on another site does not
    const config = await fetch(`${emu.url}/emulator/config`, { headers: { "Sec-Fetch-Site": "same-origin" } });
    expect(await config.json()).toEqual({ endpoint: emu.url, apiKey: emu.apiKey, emulator: true });
    const foreign = await fetch(`${emu.url}/emulator/config`, { headers: { "Sec-Fetch-Site": "cross-site", Origin: "http://evil.test" } });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).not.toContain(emu.apiKey);
    expect(await emu.stop("SIGINT")).toBe(0);
  });

  it("reports an unreachable PostgreSQL server in one line, without the password", async () => {
    const res = await cli(["serve", "--port", "0", "--database-url", "postgres://u:secret-pw@127.0.0.1:1/db"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("Cannot reach the PostgreSQL server at postgres://u:***@127.0.0.1:1/db");
    expect(res.stderr).not.toContain("secret-pw");
  });
});
