/**
 * The emulator's HTTP app: the documented Atomscale endpoints on web-standard Request/Response (Hono),
 * so the same app runs on Node and on Deno. Composed the Hono way: authentication and the body limit
 * as middleware, body validation as middleware inside each route, the stream endpoints as one sub-app
 * mounted under every served prefix. Choices the docs leave open are listed in the README.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "./middleware/body-limit.js";
import { cors } from "hono/cors";
import { apiKeyAuth } from "./middleware/api-key.js";
import { fail } from "./respond.js";
import { catalogueRoutes } from "./routes/catalogue.js";
import { configRoute, type ListenAddress } from "./routes/config.js";
import { streamRoutes, type StreamEnv } from "./routes/streams.js";
import { tagRoutes } from "./routes/tags.js";
import { serveDemo } from "./static.js";
import type { CharSourceType, Store } from "./store.js";

export { INSTRUMENT_TYPES } from "./routes/catalogue.js";
export type { ListenAddress } from "./routes/config.js";

/** The stream path prefixes the platform has used: `/tool-state` now, `/metrology` as a deprecated alias. */
import { STREAM_PREFIXES, type StreamPrefix } from "./stream-prefixes.js";
export { STREAM_PREFIXES, type StreamPrefix } from "./stream-prefixes.js";
const CHAR_SOURCE: Record<StreamPrefix, CharSourceType> = { "/tool-state": "tool_state", "/metrology": "metrology" };

export interface AppOptions {
  store: Store;
  /** The one API key the emulator accepts. */
  apiKey: string;
  /** Largest request body accepted, in bytes; larger ones get 413. */
  maxBodyBytes: number;
  /** Which stream prefixes to serve; the others answer 404. @default both */
  streamPrefixes?: readonly StreamPrefix[] | undefined;
  /**
   * Where the server listens, once it does: `/emulator/config` hands out the key only to requests
   * addressed to it. @default none: only loopback names (any port) are accepted
   */
  listenAddress?: (() => ListenAddress | undefined) | undefined;
  /** Directory of the built demo page, served at `/`. */
  demoDir?: string | undefined;
  /** Called once per request with a one-line summary. */
  log?: ((line: string) => void) | undefined;
}

const CONFIG_PATH = "/emulator/config";

export function createApp(options: AppOptions): Hono<StreamEnv> {
  const { store } = options;
  const app = new Hono<StreamEnv>({ strict: false });

  // CORS for the API (a page on another origin may use it with a key it has), never for the key itself.
  const corsForApi = cors({
    origin: "*",
    allowMethods: ["GET", "POST", "OPTIONS"],
    allowHeaders: ["X-API-KEY", "Content-Type"],
    exposeHeaders: ["Retry-After"],
    maxAge: 600,
  });
  app.use("*", async (c, next) => (c.req.path.replace(/\/+$/, "") === CONFIG_PATH ? next() : corsForApi(c, next)));

  if (options.log) {
    const log = options.log;
    app.use("*", async (c, next) => {
      const started = performance.now();
      await next();
      log(`${c.req.method} ${c.req.path} ${c.res.status} ${(performance.now() - started).toFixed(1)}ms`);
    });
  }

  app.onError((error, c) => {
    (options.log ?? console.error)(`emulator: internal error on ${c.req.method} ${c.req.path}: ${error.stack ?? error}`);
    return c.json({ detail: "Internal Server Error" }, 500);
  });
  app.notFound((c) => fail(c, 404, "Not Found"));

  // 503 once the database cannot be used (its worker stopped): a supervisor restarts the emulator.
  app.get("/healthz", (c) =>
    store.db.failure ? c.json({ status: "database_stopped", detail: store.db.failure.message }, 503) : c.json({ status: "ok" }),
  );
  app.get(CONFIG_PATH, configRoute(options.apiKey, options.listenAddress ?? (() => undefined)));

  // Every API path needs the key; a body over the limit is refused before it is read.
  const auth = apiKeyAuth(options.apiKey);
  const limit = bodyLimit({
    maxSize: options.maxBodyBytes,
    onError: (c) => fail(c, 413, `Request body too large: the limit is ${options.maxBodyBytes} bytes.`),
  });
  const guard = (base: string) => {
    app.use(base, auth, limit);
    app.use(`${base}/*`, auth, limit);
  };

  const streams = streamRoutes(store);
  for (const prefix of options.streamPrefixes ?? STREAM_PREFIXES) {
    guard(prefix);
    const source: MiddlewareHandler<StreamEnv> = async (c, next) => {
      c.set("charSourceType", CHAR_SOURCE[prefix]);
      await next();
    };
    app.use(prefix, source);
    app.use(`${prefix}/*`, source);
    app.route(prefix, streams);
  }

  for (const base of ["/instruments", "/physical_samples", "/data_entries", "/projects", "/tags"]) guard(base);
  app.route("/", catalogueRoutes(store));
  app.route("/tags", tagRoutes(store));

  // ---- the demo page ----
  app.get("*", serveDemo(options.demoDir));

  return app;
}
