/**
 * FileOutbox: pending slices as files, for Node and Deno (through `node:fs`). One file per slice and
 * per stream state, written atomically (temporary file, fsync, rename, fsync of the directory), each
 * with a SHA-256 of its content (file-records.ts). A put renames its slices (and fsyncs their directory)
 * before the stream states that go with them, so that a state never drops readings before the slice
 * holding them is durable. Survives `kill -9` (and a power cut, where fsync holds) at any instant.
 * One process per directory (a lock file says which).
 *
 * Layout: `slices/<key hash>.json` (pending), `streams/<data id hash>.json` (state, pruned some time
 * after the stream is finalized), `corrupt/<key hash>-<version>.json` (what is known of a slice found
 * damaged; its damaged file stays beside the others as `slices/<key hash>.json.corrupt`).
 */
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { acquireLockFile } from "../node/lock-file.js";
import { keyString } from "../types.js";
import { capacityForFreeSpace } from "./capacity.js";
import { CorruptSliceError, OutboxReadError } from "./errors.js";
import { decode, hash, nodeFileSystem, salvageKey, syncDir, writeAtomically, writeDurably, type FileSystem } from "./file-records.js";
import { BaseOutbox, type OutboxOptions, type OutboxStorage, type SliceMeta, type StoredSlice, type StreamState } from "./outbox.js";
import type { CorruptSlice } from "./types.js";

export type { FileSystem } from "./file-records.js";

export interface FileOutboxOptions extends OutboxOptions {
  /** The directory (created if missing). */
  dir: string;
  /**
   * The file functions to use (those of `node:fs/promises`): for tests that inject failures, or a file
   * system of your own. @default node:fs/promises
   */
  fileSystem?: FileSystem;
}

const isErrno = (error: unknown, code: string): boolean => (error as NodeJS.ErrnoException | null)?.code === code;

export class FileOutbox extends BaseOutbox {
  readonly kind = "file";
  readonly durable = true;
  readonly dir: string;
  /** Damaged files set aside (`*.corrupt`), found at start-up or when read. */
  corruptFiles: string[] = [];
  protected readonly storage: OutboxStorage;
  readonly #fs: FileSystem;

  constructor(options: FileOutboxOptions) {
    super(options);
    if (typeof options?.dir !== "string" || options.dir === "") throw new TypeError(`FileOutbox: dir must be a directory path, got ${JSON.stringify(options?.dir)}.`);
    const fs = (this.#fs = options.fileSystem ?? nodeFileSystem);
    const dir = resolve(options.dir);
    this.dir = dir;
    const slicesDir = join(dir, "slices");
    const streamsDir = join(dir, "streams");
    const corruptDir = join(dir, "corrupt");
    const keyHash = (key: SliceMeta) => hash(keyString(key)).slice(0, 40);
    const sliceFile = (key: SliceMeta) => join(slicesDir, `${keyHash(key)}.json`);
    const streamFile = (dataId: string) => join(streamsDir, `${hash(dataId).slice(0, 40)}.json`);
    let lock: { release(): Promise<void> } | undefined;

    /** Move a damaged slice file aside (never over an earlier one) and record what is known of it. */
    const setAside = async (slice: CorruptSlice, path: string | undefined): Promise<string | undefined> => {
      let keptAt: string | undefined;
      if (path !== undefined) {
        keptAt = `${path}.corrupt`;
        if (await exists(fs, keptAt)) keptAt = `${path}.${slice.version}.corrupt`;
        await fs.rename(path, keptAt);
        this.corruptFiles.push(keptAt);
      }
      // The version is unknown (0) for a file too damaged to tell it: a random tail keeps two such apart.
      const record = `${keyHash(slice)}-${slice.version}${slice.version === 0 ? `-${randomBytes(4).toString("hex")}` : ""}.json`;
      await writeAtomically(fs, join(corruptDir, record), { ...slice, corrupt: { ...slice.corrupt, keptAt } }, true);
      return keptAt;
    };

    this.storage = {
      load: async () => {
        await fs.mkdir(slicesDir, { recursive: true });
        await fs.mkdir(streamsDir, { recursive: true });
        await fs.mkdir(corruptDir, { recursive: true });
        lock = await acquireLockFile(dir, "outbox.lock", (pid) => `The outbox directory ${dir} is in use by another process (pid ${pid}). Stop it, or use another directory.`);
        const slices: SliceMeta[] = [];
        const corrupt: CorruptSlice[] = [];
        await this.#readAll(corruptDir, (data) => void corrupt.push(data as CorruptSlice), async () => undefined);
        const damaged = async (path: string, text: string | undefined, reason: CorruptSlice["corrupt"]["reason"], message: string) => {
          const key = text === undefined ? undefined : salvageKey(text);
          if (!key) return undefined; // nothing tells whose it was: only the file is kept aside
          const slice: CorruptSlice = { points: 0, version: 0, bytes: 0, complete: false, createdAt: 0, ...key, corrupt: { reason, message, at: Date.now() } };
          slice.corrupt = { ...slice.corrupt, keptAt: await setAside(slice, path) };
          corrupt.push(slice);
          return true;
        };
        // Only the metadata is kept: the points stay on disk, whatever the length of the outage.
        await this.#readAll(
          slicesDir,
          (data) => {
            const { timestamps: _t, values: _v, units: _u, ...meta } = data as StoredSlice;
            slices.push(meta);
          },
          damaged,
        );
        slices.sort((a, b) => a.version - b.version);
        const streams: StreamState[] = [];
        await this.#readAll(streamsDir, (data) => void streams.push(data as StreamState), async () => undefined);
        return { slices, streams, corrupt };
      },
      write: async (records, streams) => {
        // Every record's content is written and fsynced in parallel (temporary files); then the renames
        // in an order a kill or a power cut at any point between them cannot turn into a loss:
        //   1. the slices' renames, then an fsync of slices/: the slices are durable;
        //   2. only then the states' renames, then an fsync of streams/.
        // A state may drop open chunks that one of this put's slices completes: renamed before its
        // slice was durable, a crash would leave neither (the state no longer holds those readings, the
        // slice never landed). In this order a crash leaves the old state with some or all of the new
        // slices — a slice its state does not name yet, which open() repairs (stream-states.ts), while
        // the old state's open chunks are left out of recovery where a slice of theirs holds as many
        // points (streamer/open-chunks.ts). Leftover temporary files are removed at open.
        const slices = records.map((r) => ({ tmp: "", path: sliceFile(r), data: r as unknown }));
        const states = streams.map((s) => ({ tmp: "", path: streamFile(s.dataId), data: s as unknown }));
        const all = [...slices, ...states];
        try {
          await Promise.all(all.map(async (f) => (f.tmp = await writeDurably(fs, f.path, f.data))));
        } catch (error) {
          await Promise.all(all.map((f) => (f.tmp ? fs.rm(f.tmp, { force: true }) : undefined))).catch(() => {});
          throw error;
        }
        try {
          if (slices.length > 0) {
            await Promise.all(slices.map((f) => fs.rename(f.tmp, f.path)));
            await syncDir(fs, slicesDir);
          }
          if (states.length > 0) {
            await Promise.all(states.map((f) => fs.rename(f.tmp, f.path)));
            await syncDir(fs, streamsDir);
          }
        } catch (error) {
          // The put is refused; what was renamed is found at the next open like any slice of a torn put.
          await Promise.all(all.map((f) => fs.rm(f.tmp, { force: true }))).catch(() => {});
          throw error;
        }
      },
      read: async (meta) => {
        const path = sliceFile(meta);
        let text: string;
        try {
          text = await fs.readFile(path, "utf8");
        } catch (error) {
          if (isErrno(error, "ENOENT")) return undefined;
          throw new OutboxReadError(meta, { cause: error });
        }
        const decoded = decode(text, path);
        if (!decoded.ok) throw new CorruptSliceError(meta, { reason: decoded.reason, message: decoded.message, keptAt: path, at: Date.now() });
        const slice = decoded.data as StoredSlice;
        const problem = invalidSlice(slice, meta);
        if (problem) throw new CorruptSliceError(meta, { reason: "invalid", message: `${problem} in ${path}`, keptAt: path, at: Date.now() });
        return slice;
      },
      setAside: async (slice) => {
        const path = sliceFile(slice);
        const exists = slice.corrupt.reason !== "missing";
        return setAside(slice, exists ? path : undefined).catch(async (error: unknown) => {
          if (isErrno(error, "ENOENT")) return setAside(slice, undefined);
          throw error;
        });
      },
      delete: async (metas) => {
        await Promise.all(metas.map((m) => fs.rm(sliceFile(m), { force: true })));
      },
      updateMeta: async (meta) => {
        const path = sliceFile(meta);
        const decoded = decode(await fs.readFile(path, "utf8"), path);
        if (!decoded.ok) throw new CorruptSliceError(meta, { reason: decoded.reason, message: decoded.message, keptAt: path, at: Date.now() });
        await writeAtomically(fs, path, { ...(decoded.data as StoredSlice), ...meta }, true);
      },
      writeStream: async (state) => {
        await writeAtomically(fs, streamFile(state.dataId), state, true);
      },
      deleteStreams: async (dataIds) => {
        await Promise.all(dataIds.map((id) => fs.rm(streamFile(id), { force: true })));
        await syncDir(fs, streamsDir);
      },
      close: async () => {
        await lock?.release();
        lock = undefined;
      },
    };
  }

  /** Half of the free space of the directory's file system (at least a weekend of 10 Hz × 16 channels when it has room). */
  protected override async defaultCapacityBytes(): Promise<number | undefined> {
    const statfs = this.#fs.statfs;
    if (!statfs) return undefined;
    const s = await statfs(this.dir);
    return capacityForFreeSpace(Number(s.bavail) * Number(s.bsize), "file");
  }

  /**
   * Hand every valid record in a directory to `take`, a few files at a time; leftover temporary files
   * are removed. A damaged one is handed to `damaged` (which sets it aside by key when it can tell the
   * key); otherwise it is renamed `*.corrupt` and listed in `corruptFiles`.
   */
  async #readAll(
    dirPath: string,
    take: (data: unknown) => void,
    damaged: (path: string, text: string | undefined, reason: CorruptSlice["corrupt"]["reason"], message: string) => Promise<true | undefined>,
  ): Promise<void> {
    const fs = this.#fs;
    const names = await fs.readdir(dirPath);
    const one = async (name: string): Promise<void> => {
      const path = join(dirPath, name);
      if (name.includes(".tmp-")) {
        await fs.rm(path, { force: true }); // a write that never completed: its slice was never acknowledged to anyone
        return;
      }
      if (!name.endsWith(".json")) return;
      const text = await fs.readFile(path, "utf8"); // a failure here (EMFILE …) fails the open: nothing is dropped
      const decoded = decode(text, path);
      if (decoded.ok) return take(decoded.data);
      if (await damaged(path, text, decoded.reason, decoded.message)) return;
      await fs.rename(path, `${path}.corrupt`).catch(() => {});
      this.corruptFiles.push(`${path}.corrupt`);
    };
    for (let i = 0; i < names.length; i += LOAD_BATCH) await Promise.all(names.slice(i, i + LOAD_BATCH).map(one));
  }
}

/** Files read at once at start-up (well under any file-descriptor limit). */
const LOAD_BATCH = 16;

async function exists(fs: FileSystem, path: string): Promise<boolean> {
  try {
    await (await fs.open(path, "r")).close();
    return true;
  } catch {
    return false;
  }
}

/** What is wrong with a slice record whose checksum holds (written by a faulty version, or for another key), if anything. */
function invalidSlice(s: StoredSlice, key: SliceMeta): string | undefined {
  if (!s || typeof s !== "object") return "not a slice record";
  if (s.dataId !== key.dataId || s.channel !== key.channel || s.chunkIndex !== key.chunkIndex) return "a record of another key";
  if (!Array.isArray(s.timestamps) || !Array.isArray(s.values) || s.timestamps.length !== s.values.length) return "timestamps and values that do not pair up";
  if (!Number.isSafeInteger(s.version)) return "no version";
  return undefined;
}
