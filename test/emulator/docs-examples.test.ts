/** The documentation's own examples, sent as the docs send them, against the real emulator process. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";

describe.each(BACKENDS)("documentation examples on %s", (backend) => {
  let emu: RunningEmulator;
  let call: ReturnType<typeof http>;
  beforeAll(async () => {
    emu = await emulatorOn(backend);
    call = http(emu);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it("initialize → chunk (3 points) → chunk/multi (two channels) → finalize, then reads back", async () => {
    // Initialize (docs: requests.post(".../metrology/stream/initialize", json={...}))
    const init = await call("POST", "/metrology/stream/initialize", {
      points_per_chunk: 100,
      stream_name: "MBE Run 2024-01-15 Thickness Monitor",
      project_id: "d290f1ee-6c54-4b01-90e6-d701748f0851",
    });
    expect(init.status).toBe(200);
    expect(Object.keys(init.body).sort()).toEqual(["data_id", "processed_data_id"]);
    expect(init.body.data_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(init.body.processed_data_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(init.body.processed_data_id).not.toBe(init.body.data_id);
    const dataId: string = init.body.data_id;

    // Ingest chunk: 3 points at chunk 0 → total_points 3
    const chunk = await call("POST", "/metrology/stream/chunk", {
      data_id: dataId,
      chunk_index: 0,
      channel_name: "thickness",
      timestamps: [1705312200.0, 1705312210.0, 1705312220.0],
      values: [0, 5.2, 10.1],
      units: "nm",
    });
    expect(chunk.status).toBe(200);
    expect(chunk.body).toEqual({ data_id: dataId, channel_name: "thickness", chunk_index: 0, total_points: 3 });

    // Ingest chunk multi: two channels → an array of two, in request order
    const multi = await call("POST", "/metrology/stream/chunk/multi", {
      data_id: dataId,
      chunk_index: 0,
      channels: {
        thickness: { timestamps: [1705312200.0, 1705312210.0, 1705312220.0], values: [0, 5.2, 10.1], units: "nm" },
        deposition_rate: { timestamps: [1705312200.0, 1705312210.0, 1705312220.0], values: [0.52, 0.49, 0.52], units: "nm/s" },
      },
    });
    expect(multi.status).toBe(200);
    expect(multi.body).toEqual([
      { data_id: dataId, channel_name: "thickness", chunk_index: 0, total_points: 3 },
      { data_id: dataId, channel_name: "deposition_rate", chunk_index: 0, total_points: 3 },
    ]);

    // Finalize (no body) → the ids again; the catalogue says success
    const before = await call("GET", `/data_entries/?data_ids=${dataId}`);
    expect(before.body.map((e: { pipeline_status: string }) => e.pipeline_status)).toEqual(["stream_active"]);
    const fin = await call("POST", `/metrology/stream/${dataId}/finalize`);
    expect(fin.status).toBe(200);
    expect(fin.body).toEqual(init.body);
    const after = await call("GET", `/data_entries/?data_ids=${dataId}`);
    expect(after.body.map((e: { pipeline_status: string }) => e.pipeline_status)).toEqual(["success"]);

    // Read back in the properties shape
    const ts = await call("GET", `/metrology/${dataId}/timeseries/`);
    expect(ts.status).toBe(200);
    expect(ts.body).toEqual({
      properties: {
        deposition_rate: {
          relative_time_seconds: [0, 10, 20],
          unix_timestamp_ms: [1705312200000, 1705312210000, 1705312220000],
          values: [0.52, 0.49, 0.52],
          units: "nm/s",
        },
        thickness: {
          relative_time_seconds: [0, 10, 20],
          unix_timestamp_ms: [1705312200000, 1705312210000, 1705312220000],
          values: [0, 5.2, 10.1],
          units: "nm",
        },
      },
    });
  });
});
