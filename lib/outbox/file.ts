/**
 * FileOutbox: pending slices as files, for Node and Deno (through `node:fs`). One file per slice and
 * per stream state, written atomically (temporary file, fsync, rename, fsync of the directory), each
 * with a SHA-256 of its content: a torn or damaged file is detected at start-up, set aside as
 * `*.corrupt` and reported — never replayed as garbage. Survives `kill -9` at any instant.
 * One process per directory (a lock file says which).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { acquireLockFile } from "../node/lock-file.js";
import { keyString } from "../types.js";
import { BaseOutbox, type OutboxOptions, type OutboxStorage, type SliceMeta, type StoredSlice, type StreamState } from "./outbox.js";

export interface FileOutboxOptions extends OutboxOptions {
  /** The directory (created if missing). */
  dir: string;
}

const FORMAT = 1;

export class FileOutbox extends BaseOutbox {
  readonly kind = "file";
  readonly durable = true;
  readonly dir: string;
  /** Files found damaged at start-up and set aside (`*.corrupt`). */
  corruptFiles: string[] = [];
  protected readonly storage: OutboxStorage;

  constructor(options: FileOutboxOptions) {
    super(options);
    if (typeof options?.dir !== "string" || options.dir === "") throw new TypeError(`FileOutbox: dir must be a directory path, got ${JSON.stringify(options?.dir)}.`);
    const dir = resolve(options.dir);
    this.dir = dir;
    const slicesDir = join(dir, "slices");
    const streamsDir = join(dir, "streams");
    const sliceFile = (key: SliceMeta) => join(slicesDir, `${hash(keyString(key)).slice(0, 40)}.json`);
    const streamFile = (dataId: string) => join(streamsDir, `${hash(dataId).slice(0, 40)}.json`);
    let lock: { release(): Promise<void> } | undefined;

    this.storage = {
      load: async () => {
        await mkdir(slicesDir, { recursive: true });
        await mkdir(streamsDir, { recursive: true });
        lock = await acquireLockFile(dir, "outbox.lock", (pid) => `The outbox directory ${dir} is in use by another process (pid ${pid}). Stop it, or use another directory.`);
        const slices: SliceMeta[] = [];
        for (const { data } of await this.#readAll(slicesDir)) {
          const { timestamps: _t, values: _v, units: _u, ...meta } = data as StoredSlice;
          slices.push(meta);
        }
        slices.sort((a, b) => a.version - b.version);
        const streams = (await this.#readAll(streamsDir)).map((f) => f.data as StreamState);
        return { slices, streams };
      },
      write: async (records, streams) => {
        const files = [
          ...records.map((r) => ({ path: sliceFile(r), data: r as unknown })),
          ...streams.map((s) => ({ path: streamFile(s.dataId), data: s as unknown })),
        ];
        await Promise.all(files.map((f) => writeAtomically(f.path, f.data, false)));
        await Promise.all([...new Set(files.map((f) => (f.path.startsWith(slicesDir) ? slicesDir : streamsDir)))].map(syncDir));
      },
      read: async (meta) => {
        const file = await readChecked(sliceFile(meta)).catch(() => undefined);
        return file ? (file as StoredSlice) : undefined;
      },
      delete: async (metas) => {
        await Promise.all(metas.map((m) => rm(sliceFile(m), { force: true })));
      },
      updateMeta: async (meta) => {
        const current = (await readChecked(sliceFile(meta))) as StoredSlice;
        await writeAtomically(sliceFile(meta), { ...current, ...meta }, true);
      },
      writeStream: async (state) => {
        await writeAtomically(streamFile(state.dataId), state, true);
      },
      close: async () => {
        await lock?.release();
        lock = undefined;
      },
    };
  }

  /** Every valid record in a directory; damaged ones are set aside, leftover temporary files removed. */
  async #readAll(dirPath: string): Promise<Array<{ name: string; data: unknown }>> {
    const out: Array<{ name: string; data: unknown }> = [];
    for (const name of await readdir(dirPath)) {
      const path = join(dirPath, name);
      if (name.includes(".tmp-")) {
        await rm(path, { force: true }); // a write that never completed: its slice was never acknowledged to anyone
        continue;
      }
      if (!name.endsWith(".json")) continue;
      try {
        out.push({ name, data: await readChecked(path) });
      } catch {
        await rename(path, `${path}.corrupt`).catch(() => {});
        this.corruptFiles.push(`${path}.corrupt`);
      }
    }
    return out;
  }
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** `<json>\n<sha256 of json>\n` */
function encode(data: unknown): string {
  const body = JSON.stringify({ format: FORMAT, data });
  return `${body}\n${hash(body)}\n`;
}

async function readChecked(path: string): Promise<unknown> {
  const text = await readFile(path, "utf8");
  const cut = text.lastIndexOf("\n", text.length - 2);
  const body = text.slice(0, cut);
  const sum = text.slice(cut + 1).trim();
  if (cut < 0 || hash(body) !== sum) throw new Error(`checksum mismatch in ${path}`);
  const parsed = JSON.parse(body) as { format: number; data: unknown };
  if (parsed.format !== FORMAT) throw new Error(`unknown format ${parsed.format} in ${path}`);
  return parsed.data;
}

async function writeAtomically(path: string, data: unknown, syncDirectory: boolean): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(encode(data), "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  if (syncDirectory) await syncDir(join(path, ".."));
}

/** Make a rename durable. Not every platform can open a directory for fsync; there it is skipped. */
async function syncDir(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, "r");
    await handle.sync();
  } catch {
    // e.g. Windows: directory handles cannot be synced
  } finally {
    await handle?.close().catch(() => {});
  }
}
