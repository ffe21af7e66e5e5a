/**
 * PGlite in a worker thread (./pglite-worker.ts), as a {@link Database}: the emulator's main thread
 * parses and checks requests and encodes each statement's parameters; the worker only runs the
 * database. On two cores the two overlap.
 *
 * If the worker dies (an abort in PGlite, out of memory, terminated), every operation waiting for it
 * and every later one fails with a {@link DatabaseStoppedError}: the routes answer 500, never 2xx, and
 * `onFailure` is told once. A 2xx is sent only after the worker has answered that the statement ran to
 * its end, so no acknowledged slice can be missing from the database.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Database, PreparedStatement, Queryable, Row, SqlValue } from "../database.js";
import { messageToError, type WorkerReply, type WorkerRequest } from "./pglite-messages.js";
import { pgliteLocation } from "./pglite.js";
import { bindExecuteMessage } from "./protocol.js";

/** The database worker stopped: nothing that needs the database can be done until a restart. */
export class DatabaseStoppedError extends Error {
  readonly code = "ERR_EMULATOR_DATABASE_STOPPED";
  override readonly name = "DatabaseStoppedError";
  constructor(reason: string, options?: { cause?: unknown }) {
    super(
      `The emulator's database worker stopped (${reason}); every request that needs the database now fails with 500. ` +
        `Restart the emulator: a database on disk holds every slice answered 2xx.`,
      options,
    );
  }
}

type Without<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
type Outgoing = Without<WorkerRequest, "id">;

/** The worker's script: beside this module once built; from the build when this runs as TypeScript (tests). */
function workerUrl(): URL {
  const beside = new URL("./pglite-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL("../../../dist/emulator/database/pglite-worker.js", import.meta.url);
}

export class PgliteThread implements Database {
  readonly kind = "pglite";
  readonly location: string;
  /** The worker (tests stop it to see requests fail). */
  readonly worker: Worker;
  #failure: Error | undefined;
  #closing = false;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (error: Error) => void }>();
  /** The open transaction: other operations wait until it ends (the worker has one session). */
  #transaction: Promise<unknown> | undefined;

  private constructor(worker: Worker, dataDir: string | undefined, onFailure: ((error: Error) => void) | undefined) {
    this.worker = worker;
    this.location = pgliteLocation(dataDir);
    worker.on("message", (reply: WorkerReply) => {
      const waiting = this.#pending.get(reply.id);
      if (!waiting) return;
      this.#pending.delete(reply.id);
      if ("error" in reply) waiting.reject(messageToError(reply.error));
      else waiting.resolve(reply.rows);
    });
    const stop = (reason: string, cause?: unknown) => {
      if (this.#failure) return;
      this.#failure = new DatabaseStoppedError(reason, { cause });
      for (const waiting of this.#pending.values()) waiting.reject(this.#failure);
      this.#pending.clear();
      if (!this.#closing) onFailure?.(this.#failure);
    };
    worker.on("error", (error) => stop(error.message, error));
    worker.on("exit", (code) => stop(this.#closing ? "closed" : `exit code ${code}`));
  }

  /** Start the worker and wait until its database is open. */
  static async open(dataDir: string | undefined, onFailure?: (error: Error) => void): Promise<PgliteThread> {
    // Resolve the package here first, so a missing PGlite is reported as it is without the worker.
    await import("@electric-sql/pglite");
    const worker = new Worker(workerUrl(), { workerData: { dataDir } });
    const thread = new PgliteThread(worker, dataDir, onFailure);
    const started = new Promise<unknown[]>((resolve, reject) => thread.#pending.set(0, { resolve, reject }));
    try {
      await started;
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return thread;
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  #send(request: Outgoing, transfer: ArrayBuffer[] = []): Promise<unknown[]> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } as WorkerRequest, transfer);
    });
  }

  /** Send once no transaction is open (checked and sent in one turn, so none opens in between). */
  async #outside(request: Outgoing, transfer?: ArrayBuffer[]): Promise<unknown[]> {
    while (this.#transaction) await this.#transaction.catch(() => {});
    return this.#send(request, transfer);
  }

  async query<T extends Row>(text: string, params?: unknown[]): Promise<T[]> {
    return (await this.#outside({ op: "query", text, params })) as T[];
  }

  async execute<T extends Row>(statement: PreparedStatement, params: SqlValue[]): Promise<T[]> {
    const bind = bindExecuteMessage(statement.name, statement.types, params);
    const { name, text, types } = statement;
    return (await this.#outside({ op: "execute", statement: { name, text, types }, bind }, [bind.buffer as ArrayBuffer])) as T[];
  }

  async exec(script: string): Promise<void> {
    await this.#outside({ op: "exec", text: script });
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    while (this.#transaction) await this.#transaction.catch(() => {});
    const tx: Queryable = { query: async <R extends Row>(text: string, params?: unknown[]) => (await this.#send({ op: "query", text, params })) as R[] };
    const run = (async () => {
      await tx.query("begin");
      try {
        const result = await fn(tx);
        await tx.query("commit");
        return result;
      } catch (error) {
        await tx.query("rollback").catch(() => {});
        throw error;
      }
    })();
    this.#transaction = run;
    try {
      return await run;
    } finally {
      if (this.#transaction === run) this.#transaction = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.#outside({ op: "close" }).catch(() => {});
    await this.worker.terminate();
  }
}

export const openPgliteThread = (dataDir: string | undefined, onFailure?: (error: Error) => void): Promise<Database> => PgliteThread.open(dataDir, onFailure);
