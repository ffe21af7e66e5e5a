/**
 * The package as a user gets it: `npm pack` of the built repository (dist/ must be built: `npm run
 * build`), installed into an empty project with `npm ci`, offline — from the tarball and the npm cache,
 * nothing else. The project's lockfile pins each dependency to the version the repository's lockfile
 * records (the cache holds those tarballs, put there by the repository's own `npm ci`), so the install
 * needs no registry metadata and no network.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../helpers/emulator.js";

export const exec = promisify(execFile);

/** The temporary directories made here (tarballs, projects): removeTemporaries() deletes them. */
const temporaries: string[] = [];

async function temporaryDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temporaries.push(dir);
  return dir;
}

/** Delete every tarball and project this process made (call in afterAll). */
export async function removeTemporaries(): Promise<void> {
  await Promise.all(temporaries.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** The npm command line on PATH (the one that installed the repository). */
export const NPM = "npm";

export interface PackedTarball {
  /** Absolute path of the .tgz. */
  path: string;
  filename: string;
  /** sha512 SRI of the tarball, as npm records it. */
  integrity: string;
  /** Bytes of the tarball and of its unpacked files. */
  size: number;
  unpackedSize: number;
  /** Every file in the tarball, relative to the package root. */
  files: string[];
}

interface PackJson {
  filename: string;
  integrity: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

/** `npm pack` the repository (scripts skipped: dist/ is what `npm run build` made). */
export async function packRepository(): Promise<PackedTarball> {
  const dir = await temporaryDir("atomscale-pack-");
  const { stdout } = await exec(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
    cwd: ROOT,
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [info] = JSON.parse(stdout) as PackJson[];
  if (!info) throw new Error(`npm pack printed no result: ${stdout}`);
  return {
    path: join(dir, info.filename),
    filename: info.filename,
    integrity: info.integrity,
    size: info.size,
    unpackedSize: info.unpackedSize,
    files: info.files.map((f) => f.path).sort(),
  };
}

type LockEntry = Record<string, unknown> & { version: string; dependencies?: Record<string, string> };

async function repositoryLock(): Promise<Record<string, LockEntry>> {
  const lock = JSON.parse(await readFile(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  return lock.packages;
}

export interface ProjectOptions {
  /** Packages to install beside atomscale-stream, at the versions the repository's lockfile records. */
  with?: string[];
}

/**
 * A new project with the tarball (and `with`) installed by `npm ci --offline`. Returns its directory;
 * the package is at `<dir>/node_modules/atomscale-stream`.
 */
export async function installProject(tarball: PackedTarball, options: ProjectOptions = {}): Promise<string> {
  const dir = await temporaryDir("atomscale-consumer-");
  await copyFile(tarball.path, join(dir, tarball.filename));
  const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as Record<string, Record<string, string>>;
  const repoLock = await repositoryLock();

  const dependencies: Record<string, string> = { "atomscale-stream": `file:${tarball.filename}` };
  const packages: Record<string, unknown> = {
    "node_modules/atomscale-stream": {
      version: manifest.version,
      resolved: `file:${tarball.filename}`,
      integrity: tarball.integrity,
      license: manifest.license,
      dependencies: manifest.dependencies,
      peerDependencies: manifest.peerDependencies,
      peerDependenciesMeta: manifest.peerDependenciesMeta,
      bin: manifest.bin,
      engines: manifest.engines,
    },
  };
  const todo = [...Object.keys(manifest.dependencies ?? {}), ...(options.with ?? [])];
  for (const name of options.with ?? []) {
    const entry = repoLock[`node_modules/${name}`];
    if (!entry) throw new Error(`installProject: ${name} is not in the repository's package-lock.json`);
    dependencies[name] = entry.version;
  }
  while (todo.length > 0) {
    const name = todo.pop()!;
    const key = `node_modules/${name}`;
    if (key in packages) continue;
    const entry = repoLock[key];
    if (!entry) throw new Error(`installProject: ${name} (a dependency) is not hoisted in the repository's package-lock.json`);
    const { dev: _dev, devOptional: _devOptional, peer: _peer, optional: _optional, ...kept } = entry;
    packages[key] = kept;
    todo.push(...Object.keys(entry.dependencies ?? {}));
  }

  const project = { name: "consumer", private: true, type: "module", dependencies };
  await writeFile(join(dir, "package.json"), `${JSON.stringify(project, null, 2)}\n`);
  await writeFile(
    join(dir, "package-lock.json"),
    `${JSON.stringify({ name: "consumer", lockfileVersion: 3, requires: true, packages: { "": { name: "consumer", dependencies }, ...packages } }, null, 2)}\n`,
  );
  await mkdir(join(dir, "node_modules"), { recursive: true });
  await exec(NPM, ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: dir, timeout: 300_000 });
  return dir;
}

/** Bytes of the files under `dir` (apparent sizes, symlinks not followed). */
export async function treeBytes(dir: string): Promise<number> {
  const { stdout } = await exec("du", ["-sb", dir]);
  return Number(stdout.split("\t")[0]);
}
