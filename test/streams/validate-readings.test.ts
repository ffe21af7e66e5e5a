/** ValidateReadingsStream: bad readings reported and left out, good ones of the same batch go on, in order. */
import { describe, expect, it } from "vitest";
import { ValidateReadingsStream, type InvalidReading } from "../../lib/streams/validate-readings.ts";
import type { Reading } from "../../lib/types.ts";

async function run(input: Array<Reading | Reading[]>, options: ConstructorParameters<typeof ValidateReadingsStream>[0] = {}) {
  const out: Reading[][] = [];
  const source = new ReadableStream<Reading | Reading[]>({
    start(controller) {
      for (const item of input) controller.enqueue(item);
      controller.close();
    },
  });
  await source
    .pipeThrough(new ValidateReadingsStream(options))
    .pipeTo(new WritableStream({ write: (batch) => void out.push(batch) }));
  return out;
}

const T = 1_764_000_000;

describe("ValidateReadingsStream", () => {
  it("passes valid batches and single readings on as batches, in order", async () => {
    const a = { channel: "a", t: T, value: 1 };
    const b = { channel: "b", t: T + 1, value: 2, units: "C" };
    expect(await run([[a, b], { channel: "c", t: T + 2, value: 3 }])).toEqual([[a, b], [{ channel: "c", t: T + 2, value: 3 }]]);
  });

  it("leaves out what the streamer would refuse, names the field and value, keeps the rest of the batch", async () => {
    const invalid: InvalidReading[] = [];
    const valid: number[] = [];
    const good = { channel: "T", t: T, value: 600 };
    const out = await run(
      [
        [good, { channel: "T", t: T, value: Number.NaN }, { channel: "", t: T, value: 1 }, { channel: "T", t: T * 1000, value: 1 }, { channel: "__proto__", t: T, value: 7 }],
        [{ channel: "T", t: T, value: Infinity }],
        null as unknown as Reading,
      ],
      { onInvalid: (i) => invalid.push(i), onValid: (batch) => valid.push(batch.length) },
    );
    expect(out).toEqual([[good, { channel: "__proto__", t: T, value: 7 }]]);
    expect(valid).toEqual([2]);
    expect(invalid).toHaveLength(5);
    expect(invalid[0]!.message).toMatch(/value/);
    expect(invalid[0]!.message).toMatch(/NaN/);
    expect(invalid[1]!.message).toMatch(/channel/);
    expect(invalid[2]!.message).toMatch(/milliseconds/);
    expect(invalid[3]!.message).toMatch(/Infinity/);
    expect(invalid[4]!.reading).toBeNull();
  });
});
