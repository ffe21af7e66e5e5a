/** Growth instruments, physical samples, links, project tracking and the data catalogue. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";

const PROJECT = "7f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b";

describe.each(BACKENDS)("catalogue endpoints on %s", (backend) => {
  let emu: RunningEmulator;
  let call: ReturnType<typeof http>;
  beforeAll(async () => {
    emu = await emulatorOn(backend);
    call = http(emu);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it("a new database lists one example growth instrument; created ones follow with their ids", async () => {
    const list = await call("GET", "/instruments/synthesis");
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ synth_source_id: expect.any(Number), source_name: expect.any(String), synth_source_type: "mbe" });
    const created = await call("POST", "/instruments/synthesis/", { name: "Sputter 2", label: "SP-2", type: "sputter", serial_id: "SN-9" });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ source_name: "Sputter 2", synth_source_type: "sputter", source_metadata: { serial_identifier: "SN-9" } });
    const again = await call("GET", "/instruments/synthesis/");
    expect(again.body.map((i: { synth_source_id: number }) => i.synth_source_id)).toEqual([list.body[0].synth_source_id, created.body.synth_source_id]);
    const bad = await call("POST", "/instruments/synthesis", { name: "x", label: "y", type: "oven" });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0]).toMatchObject({ type: "enum", loc: ["body", "type"], input: "oven" });
  });

  it("initialize links a growth instrument by synth_source_id, and refuses an unknown one with 404", async () => {
    const [instrument] = (await call("GET", "/instruments/synthesis")).body;
    const ok = await call("POST", "/metrology/stream/initialize", { points_per_chunk: 10, synth_source_id: instrument.synth_source_id });
    expect(ok.status).toBe(200);
    const entry = await call("GET", `/data_entries/?data_ids=${ok.body.data_id}`);
    expect(entry.body[0]).toMatchObject({ synth_source_id: instrument.synth_source_id, source_name: instrument.source_name });
    const missing = await call("POST", "/metrology/stream/initialize", { points_per_chunk: 10, synth_source_id: 987654 });
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toContain("987654");
  });

  it("physical samples: create, list, filter, link to streams, track in a project", async () => {
    const s = await call("POST", "/physical_samples/", { name: "GaN-001" });
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: "GaN-001" });
    const sampleId = s.body.id as string;

    const init = await call("POST", "/metrology/stream/initialize", { points_per_chunk: 5, stream_name: "linked", project_id: PROJECT });
    const dataId = init.body.data_id as string;
    const link = await call("POST", "/data_entries/physical_sample", { data_ids: [dataId], physical_sample_id: sampleId });
    expect(link.status).toBe(200);

    const listed = await call("GET", "/physical_samples/");
    const mine = listed.body.find((x: { id: string }) => x.id === sampleId);
    expect(mine).toMatchObject({ name: "GaN-001", num_data_items: 1 });
    const byId = await call("GET", `/physical_samples/?physical_sample_id=${sampleId}`);
    expect(byId.body.map((x: { id: string }) => x.id)).toEqual([sampleId]);
    const withData = await call("GET", "/physical_samples/?has_data_item=true");
    expect(withData.body.map((x: { id: string }) => x.id)).toContain(sampleId);

    const entry = await call("GET", `/data_entries/?physical_sample_ids=${sampleId}`);
    expect(entry.body).toHaveLength(1);
    expect(entry.body[0]).toMatchObject({ data_id: dataId, physical_sample_id: sampleId, physical_sample_name: "GaN-001", projects: [{ id: PROJECT }] });

    const track = await call("POST", `/projects/${PROJECT}/configuration/tracking_samples`, { physical_sample_id: sampleId, set_active: true });
    expect(track.status).toBe(200);
    expect(track.body).toEqual({ project_id: PROJECT, tracking_physical_sample_ids: [sampleId], active_tracking_physical_sample_id: sampleId });
    const second = (await call("POST", "/physical_samples/", { name: "GaN-002" })).body.id as string;
    await call("POST", `/projects/${PROJECT}/configuration/tracking_samples`, { physical_sample_id: second, set_active: true });
    const config = await call("GET", `/projects/${PROJECT}/configuration`);
    expect(config.body).toEqual({ project_id: PROJECT, tracking_physical_sample_ids: [sampleId, second], active_tracking_physical_sample_id: second });
  });

  it("linking refuses unknown samples and data ids with 404, and bad ids with 422", async () => {
    const s = (await call("POST", "/physical_samples/", { name: "x" })).body.id as string;
    const unknownSample = await call("POST", "/data_entries/physical_sample", { data_ids: [], physical_sample_id: "00000000-0000-4000-8000-000000000001" });
    expect(unknownSample.status).toBe(404);
    const unknownData = await call("POST", "/data_entries/physical_sample", { data_ids: ["nope"], physical_sample_id: s });
    expect(unknownData.status).toBe(404);
    expect(unknownData.body.detail).toContain("nope");
    const badId = await call("POST", "/data_entries/physical_sample", { data_ids: "x", physical_sample_id: "y" });
    expect(badId.status).toBe(422);
    expect(badId.body.detail.map((d: { loc: string[] }) => d.loc.join("."))).toEqual(["body.data_ids", "body.physical_sample_id"]);
    const badProject = await call("POST", "/projects/not-a-uuid/configuration/tracking_samples", { physical_sample_id: s, set_active: true });
    expect(badProject.status).toBe(422);
    expect(badProject.body.detail[0].loc).toEqual(["path", "project_id"]);
    const initUnknownSample = await call("POST", "/metrology/stream/initialize", { points_per_chunk: 1, physical_sample_id: "00000000-0000-4000-8000-000000000002" });
    expect(initUnknownSample.status).toBe(404);
    const initSample = await call("POST", "/metrology/stream/initialize", { points_per_chunk: 1, physical_sample_id: s });
    expect(initSample.status).toBe(200);
    const e = await call("GET", `/data_entries/?data_ids=${initSample.body.data_id}`);
    expect(e.body[0].physical_sample_id).toBe(s);
  });

  it("the catalogue filters by status: stream_active until finalize, success after", async () => {
    const id = (await call("POST", "/metrology/stream/initialize", { points_per_chunk: 1, stream_name: "status check" })).body.data_id;
    const active = await call("GET", "/data_entries/?status=stream_active");
    expect(active.body.map((e: { data_id: string }) => e.data_id)).toContain(id);
    await call("POST", `/metrology/stream/${id}/finalize`);
    const stillActive = await call("GET", "/data_entries/?status=stream_active");
    expect(stillActive.body.map((e: { data_id: string }) => e.data_id)).not.toContain(id);
    const done = await call("GET", "/data_entries/?status=success");
    expect(done.body.find((e: { data_id: string }) => e.data_id === id)).toMatchObject({ raw_name: "status check", char_source_type: "metrology" });
  });
});
