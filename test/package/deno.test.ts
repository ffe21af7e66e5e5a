/**
 * Deno, the Deno way: deno.json describes the package for JSR and `deno publish --dry-run` passes
 * offline; the npm tarball, installed into a project, type-checks under `deno check` and streams to
 * the emulator with exactly the permissions the README names. `npm run build` first.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DENO, requireDeno, skipDeno } from "../helpers/deno.js";
import { emulatorOn, ROOT, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { NODE_CONSUMER } from "./consumer-sources.js";
import { installProject, packRepository, removeTemporaries } from "./packed.js";
import { SURFACE } from "./surface.js";

const run = promisify(execFile);
const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string; exports: Record<string, unknown> };
const denoJson = JSON.parse(await readFile(join(ROOT, "deno.json"), "utf8")) as {
  name: string;
  version: string;
  license: string;
  exports: Record<string, string>;
};

/** No registry and a proxy that never answers: whatever Deno would fetch from outside fails (loopback stays reachable). */
const OFFLINE = {
  NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
  HTTPS_PROXY: "http://127.0.0.1:9",
  HTTP_PROXY: "http://127.0.0.1:9",
  NO_PROXY: "127.0.0.1,localhost",
};

async function deno(args: string[], cwd: string, env: Record<string, string> = {}) {
  requireDeno();
  try {
    const { stdout, stderr } = await run(DENO, args, {
      cwd,
      env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...env },
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("deno.json", () => {
  it("names the package for JSR with the npm package's version, license and entries", () => {
    expect(denoJson.name).toMatch(/^@[a-z0-9-]+\/[a-z0-9-]+$/);
    expect(denoJson.version).toBe(manifest.version);
    expect(denoJson.license).toBe("MIT");
    const npmEntries = Object.keys(manifest.exports).filter((k) => k !== "./package.json").sort();
    expect(Object.keys(denoJson.exports).sort()).toEqual(npmEntries);
    // Each JSR entry is the source that tsc compiles into the npm entry.
    for (const [name, entry] of Object.entries(SURFACE)) {
      const key = name === "atomscale-stream" ? "." : `./${name.slice("atomscale-stream/".length)}`;
      expect(denoJson.exports[key]!.replace(/^\.\/lib\//, "dist/").replace(/\.ts$/, ".js"), name).toBe(entry.file);
    }
  });

  it.skipIf(skipDeno)("deno publish --dry-run passes offline and would publish the library's sources only", async () => {
    const denoDir = await mkdtemp(join(tmpdir(), "atomscale-deno-dir-"));
    const res = await deno(["publish", "--dry-run", "--allow-dirty"], ROOT, { ...OFFLINE, DENO_DIR: denoDir }).finally(() =>
      rm(denoDir, { recursive: true, force: true }),
    );
    expect(res.code, res.stderr).toBe(0);
    const output = res.stdout + res.stderr;
    expect(output).toContain(`Simulating publish of ${denoJson.name}@${denoJson.version}`);
    expect(output).toContain("Success Dry run complete");
    const files = [...output.matchAll(/file:\/\/\/\S+/g)].map((m) => m[0].slice(`file://${ROOT}`.length));
    for (const source of Object.values(denoJson.exports)) expect(files).toContain(source.slice(2));
    expect(files).toEqual(expect.arrayContaining(["README.md", "LICENSE", "deno.json"]));
    expect(files.filter((f) => !/^(lib\/.*\.ts|README\.md|LICENSE|deno\.json)$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith("lib/cli/"))).toEqual([]);
  });
});

describe.skipIf(skipDeno)("the npm tarball in Deno", () => {
  let project: string;
  let emu: RunningEmulator;
  beforeAll(async () => {
    project = await installProject(await packRepository());
    emu = await emulatorOn("pglite");
  }, 300_000);
  afterAll(async () => {
    await emu?.stop();
    await removeTemporaries();
  });

  it("deno check: the root, /fs, /emulator and /serial type-check", async () => {
    await writeFile(join(project, "consumer.ts"), NODE_CONSUMER);
    const res = await deno(["check", "consumer.ts"], project, OFFLINE);
    expect(res.stderr).not.toMatch(/error/i);
    expect(res.code).toBe(0);
  });

  const SCRIPT = `import { TimeseriesStreamer, type Reading } from "npm:atomscale-stream@^${manifest.version}";
import { FileOutbox } from "npm:atomscale-stream@^${manifest.version}/fs";

const [endpoint, apiKey, dir] = Deno.args;
const streamer = new TimeseriesStreamer({ apiKey, endpoint, pointsPerChunk: 10, outbox: new FileOutbox({ dir }) });
const dataId = await streamer.initialize({ streamName: "Deno, from the tarball" });
const readings: Reading[] = Array.from({ length: 25 }, (_, i) => ({ channel: "temperature", t: 1_764_000_000 + i, value: 600 + i / 4, units: "C" }));
await ReadableStream.from([readings]).pipeTo(streamer.writable(dataId));
const result = await streamer.finalize(dataId);
await streamer.close();
console.log(JSON.stringify({ dataId, status: result.status }));
`;

  it("streams with --allow-net=host --allow-read/--allow-write=outbox and nothing more; the server holds every point", async () => {
    await writeFile(join(project, "stream.ts"), SCRIPT);
    const outbox = join(project, "outbox");
    await mkdir(outbox);
    const host = new URL(emu.url).host;
    const args = ["run", `--allow-net=${host}`, "--allow-read=outbox", "--allow-write=outbox", "stream.ts", emu.url, emu.apiKey, "outbox"];
    const res = await deno(args, project, OFFLINE);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout.trim().split("\n").at(-1)!) as { dataId: string; status: string };
    expect(out.status).toBe("finalized");

    const back = await readBack(emu, out.dataId);
    expect(Object.keys(back.properties)).toEqual(["temperature"]);
    expect(back.properties.temperature).toMatchObject({
      values: Array.from({ length: 25 }, (_, i) => 600 + i / 4),
      unix_timestamp_ms: Array.from({ length: 25 }, (_, i) => (1_764_000_000 + i) * 1000),
      units: "C",
    });
  });

  it("the README's Deno script runs as written, with the README's command line", async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("\n### Deno\n"));
    const script = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    const command = /```sh\n(deno run [^\n]*)\n```/.exec(section)?.[1];
    expect(script, "a ts block under ### Deno").toBeDefined();
    expect(command, "a deno run line under ### Deno").toBeDefined();
    await writeFile(join(project, "log.ts"), script!);
    await mkdir(join(project, "outbox"), { recursive: true });
    // The same flags, with the emulator's host for the platform's.
    const args = command!.split(" ").slice(1).map((a) => a.replace("api.atomscale.ai", new URL(emu.url).host));
    expect(args.at(-1)).toBe("log.ts");
    const res = await deno(args, project, { ...OFFLINE, ATOMSCALE_API_KEY: emu.apiKey, AS_API_ENDPOINT: emu.url });
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const dataId = res.stdout.trim().split("\n").at(-1)!;
    const back = await readBack(emu, dataId);
    expect(back.properties.temperature).toMatchObject({ values: [612.5], units: "C" });
  });

  it("startEmulator without the emulator's packages names what to install", async () => {
    await writeFile(
      join(project, "emulator.ts"),
      `import { EmulatorDependencyError, startEmulator } from "atomscale-stream/emulator";
try {
  await startEmulator({ memory: true });
  console.log(JSON.stringify({ started: true }));
} catch (e) {
  console.log(JSON.stringify({ isClass: e instanceof EmulatorDependencyError, code: (e as EmulatorDependencyError).code, packageName: (e as EmulatorDependencyError).packageName, message: (e as Error).message }));
}
`,
    );
    const res = await deno(["run", "-A", "emulator.ts"], project, OFFLINE);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout.trim().split("\n").at(-1)!)).toEqual({
      isClass: true,
      code: "ERR_EMULATOR_DEPENDENCY",
      packageName: "hono",
      message: expect.stringContaining("npm install hono @hono/node-server @electric-sql/pglite postgres"),
    });
  });

  it("without --allow-write the FileOutbox is refused, loudly", async () => {
    const host = new URL(emu.url).host;
    await mkdir(join(project, "outbox-ro"), { recursive: true });
    const res = await deno(["run", `--allow-net=${host}`, "--allow-read=outbox-ro", "stream.ts", emu.url, emu.apiKey, "outbox-ro"], project, OFFLINE);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/write access|NotCapable|PermissionDenied/);
  });
});
