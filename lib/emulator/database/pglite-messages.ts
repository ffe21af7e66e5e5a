/** The messages between the emulator's main thread and its database worker, and errors across them. */
import type { PreparedStatement } from "../database.js";

export type WorkerRequest =
  | { id: number; op: "query"; text: string; params: unknown[] | undefined }
  | { id: number; op: "exec"; text: string }
  | { id: number; op: "execute"; statement: Pick<PreparedStatement, "name" | "text" | "types">; bind: Uint8Array }
  | { id: number; op: "close" };

/** The answer to request `id` (0: the worker's start). */
export type WorkerReply = { id: number; rows: unknown[] } | { id: number; error: ErrorMessage };

/** An error as it crosses threads: its message and the fields callers read (SQLSTATE `code`, `detail`). */
export interface ErrorMessage {
  name: string;
  message: string;
  code?: string | undefined;
  detail?: string | undefined;
  stack?: string | undefined;
}

export function errorToMessage(error: unknown): ErrorMessage {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const { code, detail } = error as { code?: unknown; detail?: unknown };
  return {
    name: error.name,
    message: error.message,
    code: typeof code === "string" ? code : undefined,
    detail: typeof detail === "string" ? detail : undefined,
    stack: error.stack,
  };
}

/** The error again, on this side: same message, name, `code` and `detail`; the worker's stack kept. */
export function messageToError(m: ErrorMessage): Error {
  const error = new Error(m.message) as Error & { code?: string; detail?: string };
  error.name = m.name;
  if (m.code !== undefined) error.code = m.code;
  if (m.detail !== undefined) error.detail = m.detail;
  if (m.stack !== undefined) error.stack = `${m.stack}\n    (in the emulator's database worker)`;
  return error;
}
