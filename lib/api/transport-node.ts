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
    let target: Target;
    try {
      target = targetOf(req.url);
    } catch (error) {
      return reject(error);
    }
    const secure = target.secure;
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
    // The body goes to node:http as the string it is (no Buffer made of it here); content-length counts its UTF-8 bytes.
    const outgoing = (secure ? httpsRequest : httpRequest)(
      { ...target.options, method: "POST", agent: secure ? https : http, headers: { ...req.headers, "content-length": Buffer.byteLength(req.body, "utf8") } },
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
    outgoing.end(req.body, "utf8");
  });
}

/** Where a URL's requests go: parsed once per URL (the upload path is one URL per stream prefix). */
interface Target {
  secure: boolean;
  options: { protocol: string; hostname: string; port: string; path: string; auth?: string };
}

const targets = new Map<string, Target>();

function targetOf(href: string): Target {
  let target = targets.get(href);
  if (target) return target;
  const url = new URL(href);
  const secure = url.protocol === "https:";
  if (!secure && url.protocol !== "http:") throw new TypeError(`Unsupported protocol ${url.protocol} in ${url.origin}.`);
  const auth = url.username || url.password ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
  // Brackets off an IPv6 host, as node:http's own URL handling does.
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  target = { secure, options: { protocol: url.protocol, hostname, port: url.port, path: `${url.pathname}${url.search}`, ...(auth !== undefined ? { auth } : {}) } };
  if (targets.size >= 64) targets.clear();
  targets.set(href, target);
  return target;
}

/** What `fetch` rejects with on an abort: the signal's reason (an "AbortError" DOMException by default). */
function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}
