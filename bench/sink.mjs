#!/usr/bin/env node
/**
 * A minimal loopback sink for the end-to-end benchmarks, run as its own process (so its CPU is not
 * counted in the client's): a node:http server that reads and discards every request body, then
 * answers what each client expects — the Atomscale stream endpoints' JSON shapes (canned, not
 * computed from the body) and 204 for InfluxDB's /api/v2/write. It stores nothing and checks
 * nothing, so what is measured is the client.
 *
 *   node bench/sink.mjs      → prints "sink listening on http://127.0.0.1:PORT"
 *   GET /__stats             → { requests, bodyBytes } by route since the start (for sanity checks)
 */
import { createServer } from "node:http";

const IDS = JSON.stringify({ data_id: "00000000-0000-4000-8000-000000000001", processed_data_id: "00000000-0000-4000-8000-000000000002" });
const CHUNK = JSON.stringify({ data_id: "00000000-0000-4000-8000-000000000001", channel_name: "sink", chunk_index: 0, total_points: 0 });
const MULTI = `[${CHUNK}]`;
const stats = {};

function route(method, path) {
  if (method === "POST" && path.startsWith("/api/v2/write")) return "influx_write";
  if (method === "POST" && path.endsWith("/stream/chunk/multi")) return "chunk_multi";
  if (method === "POST" && path.endsWith("/stream/chunk")) return "chunk";
  if (method === "POST" && path.endsWith("/stream/initialize")) return "initialize";
  if (method === "POST" && /\/stream\/[^/]+\/finalize\/?$/.test(path)) return "finalize";
  if (method === "GET" && path === "/__stats") return "stats";
  return "unknown";
}

const server = createServer((req, res) => {
  const kind = route(req.method, req.url ?? "/");
  const s = (stats[kind] ??= { requests: 0, bodyBytes: 0 });
  s.requests++;
  req.on("data", (chunk) => (s.bodyBytes += chunk.length));
  req.on("end", () => {
    switch (kind) {
      case "influx_write":
        return void res.writeHead(204).end();
      case "chunk_multi":
        return void res.writeHead(200, { "Content-Type": "application/json" }).end(MULTI);
      case "chunk":
        return void res.writeHead(200, { "Content-Type": "application/json" }).end(CHUNK);
      case "initialize":
      case "finalize":
        return void res.writeHead(200, { "Content-Type": "application/json" }).end(IDS);
      case "stats":
        return void res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(stats));
      default:
        return void res.writeHead(404, { "Content-Type": "application/json" }).end('{"detail":"Not Found"}');
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => console.log(`sink listening on http://127.0.0.1:${server.address().port}`));
process.on("SIGTERM", () => process.exit(0));
