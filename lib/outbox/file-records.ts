/**
 * FileOutbox's record format and file primitives: `<json>\n<sha256 of json>\n`, written atomically
 * (temporary file, fsync, rename, fsync of the directory), read back with its checksum checked.
 * The file functions come from a {@link FileSystem} so that tests can inject failures.
 */
import { createHash, randomBytes } from "node:crypto";
import * as nodeFs from "node:fs/promises";
import { join } from "node:path";
import type { SliceKey } from "../types.js";
import type { CorruptInfo } from "./types.js";

/** The `node:fs/promises` functions FileOutbox uses (Node and Deno). */
export interface FileSystem {
  open: typeof nodeFs.open;
  readFile: typeof nodeFs.readFile;
  readdir: typeof nodeFs.readdir;
  rename: typeof nodeFs.rename;
  rm: typeof nodeFs.rm;
  mkdir: typeof nodeFs.mkdir;
  writeFile: typeof nodeFs.writeFile;
  statfs?: typeof nodeFs.statfs | undefined;
}

export const nodeFileSystem: FileSystem = {
  open: nodeFs.open,
  readFile: nodeFs.readFile,
  readdir: nodeFs.readdir,
  rename: nodeFs.rename,
  rm: nodeFs.rm,
  mkdir: nodeFs.mkdir,
  writeFile: nodeFs.writeFile,
  statfs: typeof nodeFs.statfs === "function" ? nodeFs.statfs : undefined,
};

const FORMAT = 1;

export function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** `<json>\n<sha256 of json>\n` */
export function encode(data: unknown): string {
  const body = JSON.stringify({ format: FORMAT, data });
  return `${body}\n${hash(body)}\n`;
}

/** A record's content, or why it cannot be trusted. */
export type Decoded = { ok: true; data: unknown } | { ok: false; reason: CorruptInfo["reason"]; message: string };

export function decode(text: string, where: string): Decoded {
  const cut = text.lastIndexOf("\n", text.length - 2);
  if (cut < 0) return { ok: false, reason: "unparsable", message: `${where} is cut short (no checksum line)` };
  const body = text.slice(0, cut);
  const sum = text.slice(cut + 1).trim();
  if (hash(body) !== sum) return { ok: false, reason: "checksum", message: `checksum mismatch in ${where}` };
  let parsed: { format?: unknown; data?: unknown };
  try {
    parsed = JSON.parse(body) as { format?: unknown; data?: unknown };
  } catch (error) {
    return { ok: false, reason: "unparsable", message: `${where} is not valid JSON: ${(error as Error).message}` };
  }
  if (parsed.format !== FORMAT) return { ok: false, reason: "unparsable", message: `unknown format ${JSON.stringify(parsed.format)} in ${where}` };
  return { ok: true, data: parsed.data };
}

/**
 * The key (and what else can be told) of a damaged slice record, read without trusting it: the whole
 * JSON if it still parses, else the fields at its start (a record cut short keeps its key there).
 */
export function salvageKey(text: string): (SliceKey & { version?: number; points?: number }) | undefined {
  const body = text.split("\n", 1)[0] ?? "";
  try {
    const data = (JSON.parse(body) as { data?: Record<string, unknown> }).data;
    if (data && typeof data.dataId === "string" && typeof data.channel === "string" && Number.isSafeInteger(data.chunkIndex)) {
      return {
        dataId: data.dataId,
        channel: data.channel,
        chunkIndex: data.chunkIndex as number,
        ...(Number.isSafeInteger(data.version) ? { version: data.version as number } : {}),
        ...(Number.isSafeInteger(data.points) ? { points: data.points as number } : {}),
      };
    }
  } catch {
    /* cut short or garbled: try the start */
  }
  const m = /^\{"format":\d+,"data":\{"dataId":("(?:[^"\\]|\\.)*"),"channel":("(?:[^"\\]|\\.)*"),"chunkIndex":(\d+)(?:,"version":(\d+))?/.exec(body);
  if (!m) return undefined;
  try {
    return {
      dataId: JSON.parse(m[1]!) as string,
      channel: JSON.parse(m[2]!) as string,
      chunkIndex: Number(m[3]),
      ...(m[4] !== undefined ? { version: Number(m[4]) } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Write `data` as a record to a temporary file beside `path` and fsync it; returns the temporary file's
 * path, for the caller to rename over `path` when its order of renames allows (FileOutbox's put).
 */
export async function writeDurably(fs: FileSystem, path: string, data: unknown): Promise<string> {
  const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
  const handle = await fs.open(tmp, "w");
  try {
    await handle.writeFile(encode(data), "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  return tmp;
}

/** Write a record atomically: temporary file, fsync, rename, and (with `syncDirectory`) fsync of the directory. */
export async function writeAtomically(fs: FileSystem, path: string, data: unknown, syncDirectory: boolean): Promise<void> {
  await fs.rename(await writeDurably(fs, path, data), path);
  if (syncDirectory) await syncDir(fs, join(path, ".."));
}

/** Make a rename durable. Not every platform can open a directory for fsync; there it is skipped. */
export async function syncDir(fs: FileSystem, path: string): Promise<void> {
  let handle;
  try {
    handle = await fs.open(path, "r");
    await handle.sync();
  } catch {
    // e.g. Windows: directory handles cannot be synced
  } finally {
    await handle?.close().catch(() => {});
  }
}
