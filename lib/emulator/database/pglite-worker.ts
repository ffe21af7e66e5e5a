/**
 * The database worker: PGlite in a thread of its own, answering the emulator's main thread
 * (./pglite-thread.ts). One message per operation; each answer carries the rows or the error. A
 * statement's answer is posted only once PGlite has run it to the end (its commit included), so the
 * main thread acknowledges nothing the database does not hold.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { PGlite } from "@electric-sql/pglite";
import { createPglite, PgliteStatements } from "./pglite.js";
import type { WorkerReply, WorkerRequest } from "./pglite-messages.js";
import { errorToMessage } from "./pglite-messages.js";

const port = parentPort!;
const { dataDir } = workerData as { dataDir: string | undefined };

void createPglite(dataDir).then(
  (db) => {
    const statements = new PgliteStatements(db);
    port.on("message", (request: WorkerRequest) => {
      void answer(db, statements, request).then(
        (rows) => port.postMessage({ id: request.id, rows } satisfies WorkerReply),
        (error: unknown) => port.postMessage({ id: request.id, error: errorToMessage(error) } satisfies WorkerReply),
      );
    });
    port.postMessage({ id: 0, rows: [] } satisfies WorkerReply);
  },
  (error: unknown) => {
    port.postMessage({ id: 0, error: errorToMessage(error) } satisfies WorkerReply);
    port.close();
  },
);

async function answer(db: PGlite, statements: PgliteStatements, request: WorkerRequest): Promise<unknown[]> {
  switch (request.op) {
    case "query":
      return (await db.query(request.text, request.params)).rows;
    case "exec":
      await db.exec(request.text);
      return [];
    case "execute":
      return statements.run(request.statement, request.bind);
    case "close":
      await db.close();
      return [];
  }
}
