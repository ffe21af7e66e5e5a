/**
 * The emulator serves /tool-state and /metrology by default, or only the prefixes it is told
 * (`--stream-prefix`, `startEmulator({ streamPrefixes })`): the other answers 404, as the platform
 * will once it drops the /metrology alias.
 */
import { describe, expect, it } from "vitest";
import { startEmulator } from "../../lib/emulator/index.js";
import { BACKENDS, emulatorOn, http } from "../helpers/emulator.js";

const T0 = 1_764_000_000;

describe.each(BACKENDS)("stream prefixes on %s", (backend) => {
  for (const only of ["/tool-state", "/metrology"] as const) {
    it(`--stream-prefix ${only}: streams work there, the other prefix is 404 on every stream path`, async () => {
      const emu = await emulatorOn(backend, ["--stream-prefix", only]);
      try {
        const call = http(emu);
        const other = only === "/tool-state" ? "/metrology" : "/tool-state";
        const init = await call("POST", `${only}/stream/initialize`, { points_per_chunk: 2 });
        expect(init.status).toBe(200);
        const id = init.body.data_id as string;
        const chunk = { data_id: id, chunk_index: 0, channel_name: "a", timestamps: [T0, T0 + 1], values: [1, 2] };
        expect((await call("POST", `${only}/stream/chunk`, chunk)).status).toBe(200);
        for (const [method, path, body] of [
          ["POST", `${other}/stream/initialize`, { points_per_chunk: 2 }],
          ["POST", `${other}/stream/chunk`, { ...chunk, chunk_index: 1 }],
          ["POST", `${other}/stream/chunk/multi`, { data_id: id, chunk_index: 1, channels: { a: { timestamps: [T0], values: [9] } } }],
          ["POST", `${other}/stream/${id}/finalize`, undefined],
          ["GET", `${other}/${id}/timeseries/`, undefined],
        ] as const) {
          expect((await call(method, path, body)).status, `${method} ${path}`).toBe(404);
        }
        const back = await call("GET", `${only}/${id}/timeseries/`);
        expect(back.body.properties.a.values).toEqual([1, 2]);
        const entry = (await call("GET", `/data_entries/?data_ids=${id}`)).body[0];
        expect(entry.char_source_type).toBe(only === "/tool-state" ? "tool_state" : "metrology");
        expect(entry.pipeline_status).toBe("stream_active"); // the refused finalize did nothing
      } finally {
        await emu.stop();
      }
    });
  }
});

describe("startEmulator({ streamPrefixes })", () => {
  it("serves only the prefixes given, and refuses a prefix it does not know", async () => {
    const emu = await startEmulator({ memory: true, streamPrefixes: ["/metrology"] });
    try {
      const call = http(emu);
      expect((await call("POST", "/tool-state/stream/initialize", { points_per_chunk: 1 })).status).toBe(404);
      expect((await call("POST", "/metrology/stream/initialize", { points_per_chunk: 1 })).status).toBe(200);
    } finally {
      await emu.close();
    }
    await expect(startEmulator({ memory: true, streamPrefixes: ["/rheed" as never] })).rejects.toThrow(/streamPrefixes.*"\/rheed"/);
    await expect(startEmulator({ memory: true, streamPrefixes: [] })).rejects.toThrow(/streamPrefixes/);
  });
});
