/**
 * Test harness: a fault-injecting HTTP reverse proxy between an HTTP client and the emulator, for
 * suites that prove no reading is lost or doubled when the network misbehaves.
 *
 * Built on `node:http` only. It listens on 127.0.0.1 (any free port) and forwards every request —
 * method, path and query, headers, body bytes — to `target`, answering with the target's status,
 * headers and body. Per request a policy picks a fault:
 *
 * - `pass`          forward normally;
 * - `delay`         wait `ms`, then forward (the request is forwarded even if the client gave up meanwhile,
 *                   as a real slow network would deliver it);
 * - `drop`          destroy the client socket; the request never reaches the server;
 * - `status`        answer `status` without forwarding (with `Retry-After` if given);
 * - `lose-response` forward, wait for the server's full answer (so it committed), then destroy the
 *                   client socket instead of answering;
 * - `late`          destroy the client socket at once (the client sees a lost connection and may try
 *                   again), then deliver the request to the server `ms` later — an old request
 *                   overtaking newer ones, as a buffering middlebox can.
 *
 * `setOutage(true)` drops every request (counted as `drop`, the policy is not consulted) until
 * `setOutage(false)`. The policy gets a seeded PRNG (mulberry32), so a seed reproduces a run.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ClientRequest, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export type Fault =
  | { kind: "pass" }
  | { kind: "delay"; ms: number }
  | { kind: "drop" }
  | { kind: "status"; status: number; retryAfter?: string; body?: string }
  | { kind: "lose-response" }
  | { kind: "late"; ms: number };

export type FaultKind = Fault["kind"];

export interface FaultRequest {
  method: string;
  /** Path and query, as the client sent them. */
  path: string;
  /** The request body decoded as UTF-8 (forwarded as the original bytes). */
  body: string;
  /** 0-based count of requests seen by this proxy. */
  index: number;
}

export interface FaultProxyOptions {
  /** Base URL of the real server, e.g. `http://127.0.0.1:34567` (a path prefix is kept). */
  target: string;
  /** Seed of the PRNG handed to the policy; default 1. */
  seed?: number;
  /** Decide a fault per request; default: always pass. */
  policy?: (req: FaultRequest, random: () => number) => Fault;
}

/** One request the proxy handled, and the fault applied to it. */
export interface FaultLogEntry {
  index: number;
  method: string;
  path: string;
  kind: FaultKind;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Replace the policy; `undefined` goes back to always pass. */
  setPolicy(policy: FaultProxyOptions["policy"]): void;
  /** Answer every request with a dropped connection (simulates the server being down) until set back to false. */
  setOutage(down: boolean): void;
  /** How many of each fault were applied (outage drops count as `drop`). */
  counts(): Record<FaultKind, number>;
  /** How many requests the proxy has seen. */
  requests(): number;
  /** Every request seen, in arrival order, with the fault applied to it. */
  log(): FaultLogEntry[];
  /** Stop listening and destroy open sockets (client and upstream); resolves promptly. */
  close(): Promise<void>;
}

/** A small seeded PRNG: numbers in [0, 1), the same sequence for the same seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Headers that belong to one connection and are not forwarded (either way). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function stripHopByHop(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set(
    String(headers.connection ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
    req.on("aborted", () => reject(new Error("client aborted the request")));
  });
}

const zeroCounts = (): Record<FaultKind, number> => ({ pass: 0, delay: 0, drop: 0, status: 0, "lose-response": 0, late: 0 });

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== "http:") throw new Error(`fault proxy: only http targets are supported, not ${options.target}`);
  const basePath = target.pathname.replace(/\/+$/, "");
  const random = mulberry32(options.seed ?? 1);
  let policy = options.policy;
  let outage = false;
  let seen = 0;
  let closing = false;
  const counts = zeroCounts();
  const log: FaultLogEntry[] = [];
  const sockets = new Set<Socket>();
  const upstreams = new Set<ClientRequest>();
  const timers = new Set<NodeJS.Timeout>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  /** Send the request to the target; the full response, or an error (target down, proxy closing). */
  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const headers = stripHopByHop(req.headers);
      headers.host = target.host;
      delete headers["content-length"];
      if (body.length > 0 || !["GET", "HEAD", "OPTIONS", "DELETE"].includes(req.method ?? "GET")) {
        headers["content-length"] = String(body.length);
      }
      headers.connection = "close";
      const up = httpRequest({
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port || 80,
        method: req.method,
        path: basePath + (req.url ?? "/"),
        headers,
        agent: false,
      });
      upstreams.add(up);
      up.on("close", () => upstreams.delete(up));
      up.on("error", reject);
      up.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
        res.on("aborted", () => reject(new Error("target aborted the response")));
      });
      up.end(body);
    });

  const destroyClient = (req: IncomingMessage, res: ServerResponse) => {
    req.socket.destroy();
    res.destroy();
  };

  const answer = (res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: Buffer) => {
    if (res.destroyed || res.writableEnded || res.headersSent) return;
    res.writeHead(status, headers);
    res.end(body);
  };

  const injected = (res: ServerResponse, status: number, body: string, retryAfter?: string) => {
    const headers: Record<string, string> = {
      "content-type": body.trimStart().startsWith("{") || body.trimStart().startsWith("[") ? "application/json" : "text/plain; charset=utf-8",
      "content-length": String(Buffer.byteLength(body)),
      "access-control-allow-origin": "*",
      "access-control-expose-headers": "Retry-After",
      connection: "close",
    };
    if (retryAfter !== undefined) headers["retry-after"] = retryAfter;
    answer(res, status, headers, Buffer.from(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      destroyClient(req, res);
      return;
    }
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const index = seen++;
    let fault: Fault;
    if (outage) {
      fault = { kind: "drop" };
    } else if (policy) {
      try {
        fault = policy({ method, path, body: body.toString("utf8"), index }, random);
      } catch (e) {
        counts.status++;
        log.push({ index, method, path, kind: "status" });
        injected(res, 500, JSON.stringify({ detail: `fault proxy policy threw: ${String(e)}` }));
        return;
      }
    } else {
      fault = { kind: "pass" };
    }
    counts[fault.kind]++;
    log.push({ index, method, path, kind: fault.kind });

    switch (fault.kind) {
      case "drop":
        destroyClient(req, res);
        return;
      case "status":
        injected(res, fault.status, fault.body ?? JSON.stringify({ detail: `injected ${fault.status}` }), fault.retryAfter);
        return;
      case "delay":
        await sleep(fault.ms);
        if (closing) return;
        break;
      case "late":
        destroyClient(req, res);
        await sleep(fault.ms);
        if (closing) return;
        await forward(req, body).catch(() => {});
        return;
      case "pass":
      case "lose-response":
        break;
    }

    let upstream: Awaited<ReturnType<typeof forward>>;
    try {
      upstream = await forward(req, body);
    } catch (e) {
      if (fault.kind === "lose-response" || closing) destroyClient(req, res);
      else injected(res, 502, JSON.stringify({ detail: `fault proxy: target unreachable: ${(e as Error).message}` }));
      return;
    }
    if (fault.kind === "lose-response") {
      destroyClient(req, res);
      return;
    }
    const headers = stripHopByHop(upstream.headers);
    const bodyless = method === "HEAD" || upstream.status === 204 || upstream.status === 304;
    if (!bodyless) headers["content-length"] = String(upstream.body.length);
    answer(res, upstream.status, headers, upstream.body);
  };

  const server = createServer((req, res) => {
    req.on("error", () => {});
    res.on("error", () => {});
    handle(req, res).catch(() => destroyClient(req, res));
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("fault proxy: no TCP address");

  return {
    url: `http://127.0.0.1:${address.port}`,
    setPolicy(p) {
      policy = p;
    },
    setOutage(down) {
      outage = down;
    },
    counts: () => ({ ...counts }),
    requests: () => seen,
    log: () => log.map((e) => ({ ...e })),
    close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const up of upstreams) up.destroy();
      for (const s of sockets) s.destroy();
      return closed;
    },
  };
}

export interface RandomFaultProbabilities {
  /** Probability of `delay` (of `delayMs`, default 200). */
  delay?: number;
  delayMs?: number;
  /** Probability of `drop`. */
  drop?: number;
  /** Probability of an injected 503, and of an injected 429 (both with `retryAfter` if given). */
  status503?: number;
  status429?: number;
  retryAfter?: string;
  /** Probability of `lose-response`. */
  loseResponse?: number;
  /** Apply to every request, not only POSTs whose path contains "/stream/chunk". */
  allPaths?: boolean;
}

/**
 * A ready-made random policy: each request gets a fault with the given probabilities (the rest pass).
 * Applies only to POST requests whose path contains "/stream/chunk" unless `allPaths` is true; other
 * requests pass without drawing a number, so the faults chunks get do not depend on other traffic.
 * One draw per request, matched against delay, drop, 503, 429, lose-response in that order.
 */
export function randomFaults(p: RandomFaultProbabilities): NonNullable<FaultProxyOptions["policy"]> {
  const ps = [p.delay ?? 0, p.drop ?? 0, p.status503 ?? 0, p.status429 ?? 0, p.loseResponse ?? 0];
  if (ps.some((x) => !(x >= 0 && x <= 1))) throw new RangeError(`randomFaults: probabilities must be in [0, 1]: ${ps.join(", ")}`);
  const total = ps.reduce((a, b) => a + b, 0);
  if (total > 1 + 1e-9) throw new RangeError(`randomFaults: probabilities add up to ${total}, more than 1`);
  const delayMs = p.delayMs ?? 200;
  const status = (s: number): Fault => (p.retryAfter !== undefined ? { kind: "status", status: s, retryAfter: p.retryAfter } : { kind: "status", status: s });
  const outcomes: Fault[] = [{ kind: "delay", ms: delayMs }, { kind: "drop" }, status(503), status(429), { kind: "lose-response" }];
  return (req, random) => {
    if (!p.allPaths && !(req.method === "POST" && req.path.includes("/stream/chunk"))) return { kind: "pass" };
    const r = random();
    let edge = 0;
    for (let i = 0; i < outcomes.length; i++) {
      edge += ps[i]!;
      if (r < edge) return outcomes[i]!;
    }
    return { kind: "pass" };
  };
}
