/** Data, key and stream state survive an emulator restart; one emulator per data directory. */
import { describe, expect, it } from "vitest";
import { BACKENDS, http, spawnServe, storageFor } from "../helpers/emulator.js";

describe.each(BACKENDS)("persistence on %s", (backend) => {
  it("a restart on the same storage keeps the key, the points, the units and the finalized state", async () => {
    const storage = await storageFor(backend, { persistent: true });
    try {
      const first = await spawnServe({ args: storage.args });
      const call = http(first);
      const a = (await call("POST", "/metrology/stream/initialize", { points_per_chunk: 4, stream_name: "kept" })).body.data_id;
      const b = (await call("POST", "/metrology/stream/initialize", { points_per_chunk: 4, stream_name: "left open" })).body.data_id;
      await call("POST", "/metrology/stream/chunk/multi", {
        data_id: a,
        chunk_index: 1,
        channels: { T: { timestamps: [1705312200.5, 1705312201.5], values: [600.25, 601.5], units: "C" } },
      });
      await call("POST", "/metrology/stream/chunk", { data_id: b, chunk_index: 0, channel_name: "P", timestamps: [1705312200], values: [1e-7] });
      await call("POST", `/metrology/stream/${a}/finalize`);
      const sample = (await call("POST", "/physical_samples/", { name: "GaN-keep" })).body.id;
      expect(await first.stop("SIGTERM")).toBe(0);

      const second = await spawnServe({ args: storage.args });
      try {
        expect(second.apiKey).toBe(first.apiKey);
        const call2 = http(second);
        const backA = await call2("GET", `/metrology/${a}/timeseries/`);
        expect(backA.body.properties.T).toMatchObject({ values: [600.25, 601.5], units: "C", unix_timestamp_ms: [1705312200500, 1705312201500] });
        expect((await call2("POST", "/metrology/stream/chunk", { data_id: a, chunk_index: 2, channel_name: "T", timestamps: [1], values: [1] })).status).toBe(409);
        // the open stream takes more data after the restart
        const more = await call2("POST", "/metrology/stream/chunk", { data_id: b, chunk_index: 1, channel_name: "P", timestamps: [1705312201], values: [2e-7] });
        expect(more.body.total_points).toBe(2);
        const samples = await call2("GET", `/physical_samples/?physical_sample_id=${sample}`);
        expect(samples.body[0].name).toBe("GaN-keep");
        expect((await call2("GET", "/instruments/synthesis")).body).toHaveLength(1); // seeded once, not at every start
      } finally {
        await second.stop();
      }
    } finally {
      await storage.cleanup();
    }
  });

  it("--api-key overrides the stored key without replacing it", async () => {
    const storage = await storageFor(backend, { persistent: true });
    try {
      const first = await spawnServe({ args: storage.args });
      await first.stop();
      const custom = await spawnServe({ args: [...storage.args, "--api-key", "lab-key-123"] });
      expect(custom.apiKey).toBe("lab-key-123");
      expect((await http(custom)("GET", "/instruments/synthesis")).status).toBe(200);
      expect((await http({ url: custom.url, apiKey: first.apiKey })("GET", "/instruments/synthesis")).status).toBe(401);
      await custom.stop();
      const again = await spawnServe({ args: storage.args });
      expect(again.apiKey).toBe(first.apiKey);
      await again.stop();
    } finally {
      await storage.cleanup();
    }
  });
});

describe("the PGlite data directory", () => {
  it("refuses a second emulator on a directory in use, and takes over a stale lock", async () => {
    const storage = await storageFor("pglite", { persistent: true });
    const first = await spawnServe({ args: storage.args });
    try {
      await expect(spawnServe({ args: storage.args })).rejects.toThrow(/in use by another emulator \(pid \d+\)/);
      // still serving
      expect((await http(first)("GET", "/instruments/synthesis")).status).toBe(200);
    } finally {
      expect(await first.stop("SIGKILL")).toBeNull(); // killed: leaves its lock file behind
    }
    const next = await spawnServe({ args: storage.args });
    expect(next.apiKey).toBe(first.apiKey);
    await next.stop();
  });
});
