/**
 * Validation as middleware, the Hono way: read the body as JSON (whatever the Content-Type says, as
 * FastAPI does), check it with a function that records pydantic-shaped errors, and answer 422 with
 * them — or hand the checked value to the handler as `c.req.valid("json")`.
 *
 * Under Node (@hono/node-server), a body with a Content-Length is read straight from Node's request
 * (`c.env.incoming`): the web `Request` and its body stream are never built (a third of the HTTP
 * layer's cost per chunk request). Everywhere else, and for chunked bodies, `c.req.text()`.
 */
import type { Env, MiddlewareHandler } from "hono";
import { invalid } from "../respond.js";
import { Validator } from "../validate.js";

/** Checks a parsed body; records what is wrong in `v` and returns the typed value when all is well. */
export type BodyCheck<T> = (body: unknown, v: Validator) => T | undefined;

/** What this middleware needs of Node's IncomingMessage. */
interface NodeIncoming {
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "close", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  readonly complete: boolean;
  readonly readableEnded: boolean;
}

const decoder = new TextDecoder(); // as Request.text(): UTF-8, a leading BOM dropped, bad bytes replaced

export function jsonBody<T extends object, E extends Env = Env>(
  check: BodyCheck<T>,
): MiddlewareHandler<E, string, { in: { json: unknown }; out: { json: T } }> {
  return async function jsonBody(c, next) {
    const v = new Validator();
    const incoming = (c.env as { incoming?: NodeIncoming } | undefined)?.incoming;
    const direct =
      incoming !== undefined && typeof incoming.on === "function" && !incoming.readableEnded && c.req.header("content-length") !== undefined && c.req.header("transfer-encoding") === undefined;
    const text = direct ? await readAll(incoming) : await c.req.text();
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch (error) {
      v.add("json_invalid", ["body", 0], "JSON decode error", {}, { error: (error as Error).message });
    }
    const value = v.ok ? check(body, v) : undefined;
    if (!v.ok || value === undefined) return invalid(c, v);
    c.req.addValidatedData("json", value);
    await next();
  };
}

function readAll(incoming: NodeIncoming): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let length = 0;
    incoming.on("data", (chunk) => {
      chunks.push(chunk);
      length += chunk.length;
    });
    incoming.on("end", () => {
      if (chunks.length === 1) return resolve(decoder.decode(chunks[0]));
      const all = new Uint8Array(length);
      let at = 0;
      for (const chunk of chunks) {
        all.set(chunk, at);
        at += chunk.length;
      }
      resolve(decoder.decode(all));
    });
    incoming.on("error", reject);
    incoming.on("close", () => {
      if (!incoming.complete) reject(new Error("the client closed the connection before sending the whole body"));
    });
  });
}
