/** Serves the built demo page (dist/demo) from the emulator, so one process gives a user everything. */
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import type { Context } from "hono";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>atomscale-stream emulator</title>
<h1>atomscale-stream emulator</h1>
<p>The API is running. The demo page has not been built: run <code>npm run build</code> and reload.</p>`;

export function serveDemo(demoDir: string | undefined) {
  return async (c: Context) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      // `/%`, `/%zz`, a truncated UTF-8 sequence: the client's mistake, not the server's.
      return c.json({ detail: "Malformed percent-encoding in the request path." }, 400);
    }
    if (!demoDir) return path === "/" ? c.html(NOT_BUILT) : c.json({ detail: "Not Found" }, 404);
    const relative = normalize(path === "/" ? "index.html" : path.replace(/^\/+/, ""));
    if (relative.startsWith("..") || relative.includes(`${sep}..${sep}`)) return c.json({ detail: "Not Found" }, 404);
    const file = join(demoDir, relative);
    try {
      if (!(await stat(file)).isFile()) throw new Error("not a file");
      const body = await readFile(file);
      const type = TYPES[extname(file)] ?? "application/octet-stream";
      // The page's shell must revalidate, so a new build is picked up; hashed assets can be cached.
      const cache = relative.startsWith(`assets${sep}`) ? "public, max-age=31536000, immutable" : "no-cache";
      return c.body(body, 200, { "Content-Type": type, "Cache-Control": cache });
    } catch {
      return path === "/" ? c.html(NOT_BUILT) : c.json({ detail: "Not Found" }, 404);
    }
  };
}
