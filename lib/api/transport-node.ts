/**
 * The Node transport of chunk uploads: `node:http` / `node:https` over keep-alive agents. Under Node,
 * `fetch` (undici) costs about five times the CPU of `node:http` per request of 800 points (README,
 * Benchmarks: `fetch_vs_node_http`), and the upload path is nothing but such requests. Chosen by
 * package.json "imports" (`#transport`, condition "node"); never part of the browser bundle.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Transport, TransportRequest, TransportResponse } from "./transport.js";

export const transportName = "node:http";

export interface NodeTransportOptions {
  /** Sockets kept per host (requests beyond it queue in the agent). @default Infinity */
  maxSockets?: number;
}

/** A transport over its own keep-alive agents (one for http:, one for https:). */
export function nodeTransport(options: NodeTransportOptions = {}): Transport {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? Infinity, scheduling: "lifo" as const };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);
  return (request) => send(request, http, https, true);
}

export const defaultTransport: Transport = nodeTransport();

function send(req: TransportRequest, http: HttpAgent, https: HttpsAgent, mayRetry: boolean): Promise<TransportResponse> {
  return new Promise<TransportResponse>((resolve, reject) => {
    const { signal } = req;
    if (signal?.aborted) return reject(abortError(signal));
    const url = new URL(req.url);
    const secure = url.protocol === "https:";
    if (!secure && url.protocol !== "http:") return reject(new TypeError(`Unsupported protocol ${url.protocol} in ${url.origin}.`));
    const body = Buffer.from(req.body, "utf8");
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      fn();
    };
    const onAbort = () => {
      done(() => reject(abortError(signal!)));
      outgoing.destroy();
    };
    const outgoing = (secure ? httpsRequest : httpRequest)(
      url,
      { method: "POST", agent: secure ? https : http, headers: { ...req.headers, "content-length": body.length } },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const header = (name: string): string | null => {
          const v = res.headers[name.toLowerCase()];
          return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
        };
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (part: string) => (text += part));
        res.on("end", () => done(() => resolve({ status, header, text })));
        // The status is the answer: a body that breaks off reads as "" (as the fetch transport does).
        res.on("error", () => done(() => resolve({ status, header, text: "" })));
        res.on("close", () => done(() => resolve({ status, header, text: res.complete ? text : "" })));
      },
    );
    outgoing.on("error", (error: NodeJS.ErrnoException) => {
      if (settled) return;
      // A kept-alive socket the server closed while idle (Node's documented race): send the same body once
      // more on a fresh connection. A chunk upload is idempotent per key, and the uploader still holds the key.
      if (mayRetry && outgoing.reusedSocket && (error.code === "ECONNRESET" || error.code === "EPIPE")) {
        done(() => send(req, http, https, false).then(resolve, reject));
        return;
      }
      done(() => reject(error));
    });
    signal?.addEventListener("abort", onAbort, { once: true });
    outgoing.end(body);
  });
}

/** What `fetch` rejects with on an abort: the signal's reason (an "AbortError" DOMException by default). */
function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}
