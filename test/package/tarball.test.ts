/**
 * The package as npm users get it: `npm pack`, installed into empty projects offline, then used in
 * Node — its files and metadata, the size of a library-only install, every entry by `import` and by
 * `require()`, the command line, the emulator's optional packages, and strict type-checks. `npm run
 * build` first (the tarball is packed from dist/).
 */
import { execFile } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/emulator.js";
import { BROWSER_CONSUMER, NODE_CONSUMER, strictTsconfig } from "./consumer-sources.js";
import { declaredExports } from "./declared-exports.js";
import { installProject, packRepository, removeTemporaries, treeBytes, type PackedTarball } from "./packed.js";
import { BROWSER_BUNDLE_FILE, SURFACE } from "./surface.js";

const run = promisify(execFile);
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as Record<string, unknown> & {
  version: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const EMULATOR_PACKAGES = ["hono", "@hono/node-server", "@electric-sql/pglite", "postgres"];

let tarball: PackedTarball;
/** atomscale-stream alone, as `npm install atomscale-stream` gives it. */
let libraryOnly: string;
beforeAll(async () => {
  tarball = await packRepository();
  libraryOnly = await installProject(tarball);
}, 300_000);
afterAll(removeTemporaries);

async function node(cwd: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd, timeout: 120_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: typeof e.code === "number" ? e.code : -1 };
  }
}

describe("the packed tarball", () => {
  it("holds the built entries, the CLI, the demo page, README and LICENSE, and nothing for tests", () => {
    const files = tarball.files;
    for (const entry of Object.values(SURFACE)) expect(files).toEqual(expect.arrayContaining([entry.file, entry.types]));
    expect(files).toEqual(expect.arrayContaining(["LICENSE", "README.md", "package.json", "dist/cli/bin.js", BROWSER_BUNDLE_FILE, "dist/demo/index.html"]));
    const unwanted = files.filter((f) => !f.startsWith("dist/") && !["LICENSE", "README.md", "package.json"].includes(f));
    expect(unwanted).toEqual([]);
    expect(files.filter((f) => f.startsWith("dist/test/") || f.endsWith(".map") || /fixture|\.test\./.test(f))).toEqual([]);
  });

  it("says what it is: license, engines, repository, keywords, side effects, ESM", async () => {
    const installed = JSON.parse(await readFile(join(libraryOnly, "node_modules/atomscale-stream/package.json"), "utf8")) as Record<string, unknown>;
    expect(installed).toMatchObject({
      name: "atomscale-stream",
      version: manifest.version,
      type: "module",
      license: "MIT",
      engines: { node: ">=20.19" },
      repository: { type: "git", url: expect.stringMatching(/^git\+https:\/\/github\.com\//) },
      homepage: expect.stringMatching(/^https:\/\//),
      bin: { "atomscale-stream": "./dist/cli/bin.js" },
      sideEffects: ["./dist/cli/bin.js"],
    });
    expect((installed.keywords as string[]).length).toBeGreaterThan(3);
    const license = await readFile(join(libraryOnly, "node_modules/atomscale-stream/LICENSE"), "utf8");
    expect(license).toMatch(/^MIT License/);
    expect(license).toContain("Permission is hereby granted, free of charge");
  });

  it("installs for library users with ky, idb and the CLI's log-update only: the emulator's packages are optional peers", async () => {
    expect(Object.keys(manifest.dependencies).sort()).toEqual(["idb", "ky", "log-update"]);
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual([...EMULATOR_PACKAGES].sort());
    for (const name of EMULATOR_PACKAGES) expect(manifest.peerDependenciesMeta[name], name).toEqual({ optional: true });
    const top = (await readdir(join(libraryOnly, "node_modules"))).filter((n) => !n.startsWith("."));
    expect(top).toEqual(expect.arrayContaining(["atomscale-stream", "idb", "ky", "log-update"]));
    for (const name of [...EMULATOR_PACKAGES, "uplot"]) expect(top, name).not.toContain(name.split("/")[0]);

    const packageBytes = await treeBytes(join(libraryOnly, "node_modules/atomscale-stream"));
    const dependencyBytes = (await treeBytes(join(libraryOnly, "node_modules"))) - packageBytes;
    console.log(
      `library-only install: ${(dependencyBytes / 1024).toFixed(0)} KiB of dependencies (ky, idb, log-update and its own) + ` +
        `${(packageBytes / 1024).toFixed(0)} KiB for atomscale-stream itself; tarball ${(tarball.size / 1024).toFixed(0)} KiB`,
    );
    expect(dependencyBytes).toBeLessThan(1_000_000);
  });

  it("imports every entry by name in Node, with exactly the listed values", async () => {
    const script = `const out = {};
for (const name of ${JSON.stringify(Object.keys(SURFACE))}) out[name] = Object.keys(await import(name)).sort();
console.log(JSON.stringify(out));`;
    const res = await node(libraryOnly, ["--input-type=module", "-e", script]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as Record<string, string[]>;
    for (const [name, entry] of Object.entries(SURFACE)) expect(out[name], name).toEqual(entry.values);
  });

  it("declares exactly the listed values and types for every entry", () => {
    const dir = join(libraryOnly, "node_modules/atomscale-stream");
    const entries = Object.entries(SURFACE);
    const declared = declaredExports(entries.map(([, e]) => join(dir, e.types)));
    for (const [name, entry] of entries) expect(declared.get(join(dir, entry.types)), name).toEqual([...entry.values, ...entry.typeOnly].sort());
  });

  it("works with require() too (no top-level await; Node ≥ 20.19)", async () => {
    await writeFile(
      join(libraryOnly, "required.cjs"),
      `const out = {};
for (const name of ${JSON.stringify(Object.keys(SURFACE))}) out[name] = Object.keys(require(name)).sort();
const { TimeseriesStreamer, MemoryOutbox } = require("atomscale-stream");
out.constructed = new TimeseriesStreamer({ apiKey: "k", outbox: new MemoryOutbox() }) instanceof EventTarget;
console.log(JSON.stringify(out));`,
    );
    const res = await node(libraryOnly, ["--no-warnings", "required.cjs"]);
    expect(res.stderr).toBe("");
    const out = JSON.parse(res.stdout) as Record<string, unknown>;
    for (const [name, entry] of Object.entries(SURFACE)) expect(out[name], name).toEqual(entry.values);
    expect(out.constructed).toBe(true);
  });

  it("atomscale-stream --version prints the package's version", async () => {
    const res = await node(libraryOnly, ["node_modules/.bin/atomscale-stream", "--version"]);
    expect(res).toMatchObject({ code: 0, stdout: `atomscale-stream ${manifest.version}\n` });
  });

  it("stream and poll need none of the emulator's packages", async () => {
    for (const command of ["stream", "poll"]) {
      const res = await node(libraryOnly, ["node_modules/.bin/atomscale-stream", command, "--help"]);
      expect(res.code, `${command}: ${res.stderr}`).toBe(0);
      expect(res.stdout).toContain(`atomscale-stream ${command}`);
    }
  });

  it("names what to install when the emulator is used without its packages", async () => {
    const serve = await node(libraryOnly, ["node_modules/.bin/atomscale-stream", "serve", "--memory", "--port", "0"]);
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain(`The emulator needs the package "hono"`);
    expect(serve.stderr).toContain(`npm install ${EMULATOR_PACKAGES.join(" ")}`);

    const script = `import { startEmulator, EmulatorDependencyError } from "atomscale-stream/emulator";
try { await startEmulator({ memory: true }); console.log(JSON.stringify({ started: true })); }
catch (e) { console.log(JSON.stringify({ isClass: e instanceof EmulatorDependencyError, code: e.code, packageName: e.packageName, message: e.message, cause: String(e.cause?.code) })); }`;
    const res = await node(libraryOnly, ["--input-type=module", "-e", script]);
    expect(JSON.parse(res.stdout)).toEqual({
      isClass: true,
      code: "ERR_EMULATOR_DEPENDENCY",
      packageName: "hono",
      message: expect.stringContaining(`npm install ${EMULATOR_PACKAGES.join(" ")}`),
      cause: "ERR_MODULE_NOT_FOUND",
    });
  });
});

describe("the declarations in a strict project (skipLibCheck: false)", () => {
  let typed: string;
  beforeAll(async () => {
    typed = await installProject(tarball, { with: ["@types/node", "@types/w3c-web-serial"] });
  }, 300_000);

  async function typeCheck(file: string, source: string, options: Parameters<typeof strictTsconfig>[1]) {
    await writeFile(join(typed, file), source);
    const config = `tsconfig.${file}.json`;
    await writeFile(join(typed, config), strictTsconfig(file, options));
    try {
      await run(process.execPath, [TSC, "-p", config], { cwd: typed, timeout: 180_000 });
      return "";
    } catch (error) {
      return String((error as { stdout?: string }).stdout ?? error);
    }
  }

  it("Node only (lib ES2022, types node): the root, /fs, /emulator and /serial compile", async () => {
    expect(await typeCheck("node.ts", NODE_CONSUMER, { lib: ["ES2022"], types: ["node"], module: "NodeNext" })).toBe("");
  });

  it("a browser (DOM, Web Serial typings of the page's choosing): the root, /browser and /serial compile", async () => {
    const errors = await typeCheck("browser.ts", BROWSER_CONSUMER, {
      lib: ["ES2022", "DOM", "DOM.Iterable"],
      types: ["w3c-web-serial"],
      module: "Bundler",
    });
    expect(errors).toBe("");
  });

  it("the check is real: a type error in consumer code is reported", async () => {
    const errors = await typeCheck("wrong.ts", `import { TimeseriesStreamer } from "atomscale-stream";\nnew TimeseriesStreamer({ apiKey: 42 });\n`, {
      lib: ["ES2022"],
      types: ["node"],
      module: "NodeNext",
    });
    expect(errors).toMatch(/wrong\.ts\(2,\d+\): error TS2322/);
  });
});
