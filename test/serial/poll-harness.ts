/** Polling a driver against its simulator through createInstrumentIO, recording what went each way. */
import { createInstrumentIO, timedBytes } from "../../lib/serial/io.js";
import { getDriver } from "../../lib/serial/instruments/index.js";
import { createSimulator, simulatorDriverOptions, type InstrumentSimulator, type SimulatorOptions } from "../../lib/serial/simulators.js";
import type { DriverOptions, DriverProblem } from "../../lib/serial/driver.js";
import type { Reading } from "../../lib/types.js";

export interface Run {
  sim: InstrumentSimulator;
  readings: Reading[];
  problems: DriverProblem[];
  /** What the driver wrote, one entry per write. */
  queries: Uint8Array[];
  /** What the simulator sent, one entry per chunk. */
  replies: Uint8Array[];
}

/**
 * Poll `id`'s simulator until `want` readings (or until `stop` says so), then stop by the signal.
 * The simulator answers at once unless `simOptions.latencyMs` says otherwise.
 */
export async function pollSimulator(
  id: string,
  want: number,
  simOptions: SimulatorOptions = {},
  driverOptions: DriverOptions = {},
  stop?: (run: Run) => boolean,
): Promise<Run> {
  const sim = createSimulator(id, { latencyMs: 0, ...simOptions });
  const writer = sim.writable.getWriter();
  const run: Run = { sim, readings: [], problems: [], queries: [], replies: [] };
  const recorded = sim.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        run.replies.push(chunk.slice());
        controller.enqueue(chunk);
      },
    }),
  );
  const io = createInstrumentIO(timedBytes(recorded), async (bytes) => {
    run.queries.push(bytes.slice());
    await writer.write(bytes);
  });
  const abort = new AbortController();
  const done = () => run.readings.length >= want || (stop?.(run) ?? false);
  const stream = getDriver(id).readings(io, {
    timeoutMs: 200,
    ...simulatorDriverOptions(id),
    ...driverOptions,
    signal: abort.signal,
    onProblem: (p) => {
      run.problems.push(p);
      if (done()) abort.abort();
    },
  });
  const reader = stream.getReader();
  while (!done()) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    run.readings.push(...value);
  }
  abort.abort();
  await reader.cancel();
  sim.close();
  return run;
}

export const valuesOf = (readings: readonly Reading[]) => readings.map(({ channel, value }) => ({ channel, value }));

/** The produced values under the driver's channel names (`rename` maps the simulator's names). */
export const renamed = (produced: ReadonlyArray<{ channel: string; value: number }>, rename: (channel: string) => string = (c) => c) =>
  produced.map(({ channel, value }) => ({ channel: rename(channel), value }));
