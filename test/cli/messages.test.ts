/**
 * Messages that say what to do, from the built CLI in Node and in Deno: the network cause named
 * (ECONNREFUSED, ENOTFOUND, an untrusted TLS certificate), --endpoint hinted on a 404 at initialize, a
 * refused key says how to run again (once, no doubled full stop), `serve` on a busy port names --port,
 * --version on every command, and `instruments` lists the growth instruments for --instrument.
 */
import { execFile } from "node:child_process";
import { createServer as createHttpsServer, type Server } from "node:https";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireDeno, skipDeno } from "../helpers/deno.js";
import { emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";
import { runCli, tempDir, type Runtime } from "./cli-process.js";

const VERSION = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")).version as string;

let emu: RunningEmulator;
let tls: Server;
let tlsUrl: string;
let closedPort: number;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
  // An HTTPS server whose certificate no one trusts (self-signed).
  const dir = await tempDir("cli-tls-");
  await promisify(execFile)("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1"]);
  tls = createHttpsServer({ key: await readFile(join(dir, "key.pem")), cert: await readFile(join(dir, "cert.pem")) }, (_, res) => res.end("[]"));
  await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
  tlsUrl = `https://127.0.0.1:${(tls.address() as { port: number }).port}`;
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}, 60_000);
afterAll(async () => {
  tls?.close();
  await emu?.stop();
});

describe.each(["node", "deno"] as const)("messages, in %s", (runtime: Runtime) => {
  const skip = runtime === "deno" && skipDeno;
  const run = (args: string[], input?: string) => runCli(args, { runtime, ...(input !== undefined ? { input } : {}) });

  it.skipIf(skip)("--version on the top level and on every command", async () => {
    if (runtime === "deno") requireDeno();
    for (const args of [["--version"], ["stream", "--version"], ["drain", "--version"], ["poll", "--version"], ["instruments", "--version"], ["serve", "--version"]]) {
      const res = await run(args);
      expect(res.code, `${args.join(" ")}: ${res.stderr}`).toBe(0);
      expect(res.stdout.trim()).toBe(`atomscale-stream ${VERSION}`);
    }
  });

  it.skipIf(skip)("the network cause is named: ECONNREFUSED, ENOTFOUND, an untrusted TLS certificate", async () => {
    if (runtime === "deno") requireDeno();
    const refused = await run(["instruments", "--api-key", "k", "--endpoint", `http://127.0.0.1:${closedPort}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`cannot connect (ECONNREFUSED: nothing accepts connections at 127.0.0.1:${closedPort}: the server is down or --endpoint names the wrong host or port)`);
    const unknown = await run(["instruments", "--api-key", "k", "--endpoint", "http://no-such-host.invalid"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/cannot connect \((ENOTFOUND|EAI_AGAIN): the host name of no-such-host\.invalid does not resolve: check --endpoint's spelling/);
    const untrusted = await run(["instruments", "--api-key", "k", "--endpoint", tlsUrl]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/cannot connect \(\S+: the TLS certificate of 127\.0\.0\.1:\d+ is not trusted/);
    expect(untrusted.stderr).toContain("NODE_EXTRA_CA_CERTS");
    const poll = await run(["poll", "some-id", "--once", "--api-key", "k", "--endpoint", `http://127.0.0.1:${closedPort}`]);
    expect(poll.code).toBe(1);
    expect(poll.stderr).toContain("ECONNREFUSED");
  });

  it.skipIf(skip)("a 404 at initialize hints --endpoint; a refused key says how to run again, with no doubled full stop; no key is printed", async () => {
    if (runtime === "deno") requireDeno();
    const wrongPath = await run(["stream", "--stdin", "--api-key", emu.apiKey, "--endpoint", `${emu.url}/v2`, "--outbox", await tempDir("cli-outbox-")], "1 2\n");
    expect(wrongPath.code).toBe(1);
    expect(wrongPath.stderr).toMatch(/cannot start a stream on http:\/\/127\.0\.0\.1:\d+\/v2: POST \S+\/stream\/initialize: HTTP 404: Not Found\. Is --endpoint the API's base URL/);
    const secret = "refused-key-93af01";
    const refused = await run(["stream", "--stdin", "--api-key", secret, "--endpoint", emu.url, "--outbox", await tempDir("cli-outbox-")], "1 2\n");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("HTTP 401: Invalid API key. Check the key (--api-key, or ATOMSCALE_API_KEY / AS_API_KEY) and run the same command again with a valid one");
    expect(refused.stderr).not.toContain("..");
    expect(refused.stderr).not.toContain("a new key lets uploads resume");
    expect(refused.stderr + refused.stdout).not.toContain(secret);
    const list = await run(["instruments", "--api-key", secret, "--endpoint", emu.url]);
    expect(list.code).toBe(1);
    expect(list.stderr).toContain("HTTP 401: Invalid API key. Check the key (--api-key, or ATOMSCALE_API_KEY / AS_API_KEY) and run the command again.");
    expect(list.stderr).not.toContain("..");
  });

  it.skipIf(skip)("instruments lists the growth instruments (id, name, type), as a table or JSON lines", async () => {
    if (runtime === "deno") requireDeno();
    const created = await http(emu)("POST", "/instruments/synthesis/", { name: `MBE-${runtime}`, label: "Riber C21", type: "mbe", serial_id: null });
    expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
    const id = created.body.synth_source_id as number;
    const table = await run(["instruments", "--api-key", emu.apiKey, "--endpoint", emu.url]);
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^\s*ID\s+NAME\s+TYPE\s+MANUFACTURER \/ MODEL$/);
    expect(rows.some((r) => new RegExp(`^\\s*${id}\\s+MBE-${runtime}\\s+mbe\\b`).test(r)), table.stdout).toBe(true);
    const json = await run(["instruments", "--json", "--api-key", emu.apiKey, "--endpoint", emu.url]);
    const items = json.stdout.trim().split("\n").map((l) => JSON.parse(l) as { id: number; name: string; type: string });
    expect(items).toContainEqual(expect.objectContaining({ id, name: `MBE-${runtime}`, type: "mbe" }));
  });

  it.skipIf(skip)("serve on a busy port names --port", async () => {
    if (runtime === "deno") requireDeno();
    const port = new URL(emu.url).port;
    const busy = await run(["serve", "--port", port, "--memory"]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`port ${port} on 127.0.0.1 is in use (EADDRINUSE)`);
    expect(busy.stderr).toContain("Choose another port with --port N");
    expect(busy.stderr).toContain("npm start -- --port N");
  });
});
