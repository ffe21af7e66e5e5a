/**
 * Run by test/runtimes/e2e.test.ts under Deno: the offline-start scenario (test/scenarios/offline.ts)
 * with the built library. Options come as JSON in SCENARIO; prints the result as one JSON line.
 */
import type * as Lib from "../../lib/index.js";
import { offlineScenario, type OfflineScenarioOptions } from "../scenarios/offline.ts";

declare const Deno: { version: { deno: string }; env: { get(name: string): string | undefined } };

const DIST: string = "../../dist/index.js";
const lib = (await import(DIST)) as typeof Lib;
const options = JSON.parse(Deno.env.get("SCENARIO") ?? "null") as OfflineScenarioOptions | null;
if (!options) throw new Error("SCENARIO (JSON options) must be set");
const result = await offlineScenario(lib, options);
console.log(JSON.stringify({ runtime: `deno ${Deno.version.deno}`, ...result }));
