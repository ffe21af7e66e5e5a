/**
 * Run by test/helpers/harness.test.ts under Deno (`runDeno`): the built library, imported by relative
 * path from dist/ (its bare `ky` resolved from node_modules), streams the docs' example chunk to the
 * emulator named by EMULATOR_URL / EMULATOR_API_KEY and reads it back. Prints one JSON line.
 */
import type * as Lib from "../../lib/index.js";

declare const Deno: { version: { deno: string }; env: { get(name: string): string | undefined } };

// A specifier in a variable: Deno loads the built file, while `tsc` (which type-checks test/ and may run
// before any build) takes the types from lib/ instead of needing dist/index.d.ts.
const DIST: string = "../../dist/index.js";
const { AtomscaleClient } = (await import(DIST)) as typeof Lib;

const endpoint = Deno.env.get("EMULATOR_URL");
const apiKey = Deno.env.get("EMULATOR_API_KEY");
if (!endpoint || !apiKey) throw new Error("EMULATOR_URL and EMULATOR_API_KEY must be set");

const client = new AtomscaleClient({ apiKey, endpoint });
const { dataId } = await client.initializeStream({ pointsPerChunk: 3, streamName: `harness check on deno ${Deno.version.deno}` });
const chunk = await client.ingestChunk({
  dataId,
  chunkIndex: 0,
  channelName: "thickness",
  timestamps: [1705312200.0, 1705312210.0, 1705312220.0],
  values: [0, 5.2, 10.1],
  units: "nm",
});
const back = await client.getTimeseries(dataId);
const thickness = back?.properties.thickness;
console.log(
  JSON.stringify({
    runtime: `deno ${Deno.version.deno}`,
    dataId,
    totalPoints: chunk.totalPoints,
    values: thickness?.values ?? null,
    unixTimestampMs: thickness?.unixTimestampMs ?? null,
    units: thickness?.units ?? null,
  }),
);
