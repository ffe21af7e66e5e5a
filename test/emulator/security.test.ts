/**
 * The emulator hands its key only to its own pages (DNS rebinding and cross-origin pages refused),
 * compares keys in constant time, answers 400 to malformed %-encoding, and keeps the files that hold
 * its key readable by their owner only.
 */
import { request } from "node:http";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keysMatch } from "../../lib/emulator/middleware/api-key.js";
import { BACKENDS, emulatorOn, http, spawnServe, storageFor, type RunningEmulator } from "../helpers/emulator.js";

/** A raw request, so that Host and the other headers are exactly what a browser (or an attacker) sends. */
function raw(url: string, path: string, headers: Record<string, string>, method = "GET") {
  const u = new URL(url);
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers, setHost: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe.each(BACKENDS)("emulator safety on %s", (backend) => {
  let emu: RunningEmulator;
  let port: string;
  beforeAll(async () => {
    emu = await emulatorOn(backend);
    port = new URL(emu.url).port;
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it("/emulator/config answers only its own host names on its own port, same-origin, with no CORS headers", async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      const res = await raw(emu.url, "/emulator/config", { Host: host, "Sec-Fetch-Site": "same-origin" });
      expect(res.status, host).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ apiKey: emu.apiKey, emulator: true });
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
      expect(res.headers["cache-control"]).toBe("no-store");
    }
    const refused: Array<Record<string, string>> = [
      { Host: `evil.example:${port}` }, // DNS rebinding
      { Host: "evil.example" },
      { Host: `127.0.0.1:${Number(port) + 1}` }, // another port: another origin
      { Host: `127.0.0.2:${port}` },
      { Host: `user@127.0.0.1:${port}` },
      { Host: "" },
      { Host: `127.0.0.1:${port}`, Origin: "http://evil.example" }, // a cross-origin page
      { Host: `127.0.0.1:${port}`, "Sec-Fetch-Site": "cross-site" },
      { Host: `127.0.0.1:${port}`, "Sec-Fetch-Site": "same-site" },
      { Host: `127.0.0.1:${port}`, Origin: `http://localhost:${port}` }, // an origin of another name
    ];
    for (const headers of refused) {
      const res = await raw(emu.url, "/emulator/config", headers);
      // 403 from the emulator; a Host the HTTP server cannot parse is already 400 there
      expect([400, 403], JSON.stringify(headers)).toContain(res.status);
      expect(res.body).not.toContain(emu.apiKey);
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    }
    // a CORS preflight for the config gets no CORS approval either; the API keeps its CORS
    const preflight = await raw(emu.url, "/emulator/config", { Host: `127.0.0.1:${port}`, Origin: "http://evil.example", "Access-Control-Request-Method": "GET" }, "OPTIONS");
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    const api = await raw(emu.url, "/tool-state/stream/chunk", { Host: `127.0.0.1:${port}`, Origin: "http://lab.example", "Access-Control-Request-Method": "POST" }, "OPTIONS");
    expect(api.headers["access-control-allow-origin"]).toBe("*");
  });

  it("a key is accepted only whole: a prefix, an extension or a one-character change is 401", async () => {
    const k = emu.apiKey;
    const call = http(emu);
    for (const wrong of [k.slice(0, -1), `${k}x`, `x${k}`, k.slice(0, -1) + (k.endsWith("0") ? "1" : "0"), k.toUpperCase(), " ".repeat(k.length)]) {
      expect((await call("GET", "/tags/", undefined, { "X-API-KEY": wrong })).status, wrong).toBe(401);
    }
    expect((await call("GET", "/tags/")).status).toBe(200);
    expect(keysMatch(k, k)).toBe(true);
    expect(keysMatch("", k)).toBe(false);
    expect(keysMatch("é", "é")).toBe(true);
    expect(keysMatch("e", "é")).toBe(false);
  });

  it("malformed %-encoding in a path is 400, not 500", async () => {
    for (const path of ["/%", "/%zz", "/%E0%A4%A", "/assets/%C3%28.js", "/%"]) {
      const res = await raw(emu.url, path, { Host: `127.0.0.1:${port}` });
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body).detail).toMatch(/percent-encoding/);
    }
    expect((await raw(emu.url, "/healthz", { Host: `127.0.0.1:${port}` })).status).toBe(200);
  });
});

describe("files that hold the key", () => {
  it("the data directory is 0700 and every file in it 0600 (PGlite's too), also after a restart", async () => {
    const storage = await storageFor("pglite", { persistent: true });
    const dir = storage.args[1]!;
    const check = async (at: string): Promise<number> => {
      let files = 0;
      expect((await stat(at)).mode & 0o777, at).toBe(0o700);
      for (const entry of await readdir(at, { withFileTypes: true })) {
        const path = join(at, entry.name);
        if (entry.isDirectory()) files += await check(path);
        else if (entry.isFile()) {
          expect((await stat(path)).mode & 0o777, path).toBe(0o600);
          files++;
        }
      }
      return files;
    };
    const first = await spawnServe({ args: storage.args });
    await first.stop();
    expect(await check(dir)).toBeGreaterThan(10); // PGlite's files are there, and all are checked
    const second = await spawnServe({ args: storage.args });
    await http(second)("POST", "/tool-state/stream/initialize", { points_per_chunk: 1 });
    await second.stop();
    await check(dir);
  });
});
