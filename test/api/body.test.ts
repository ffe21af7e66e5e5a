/** Request bodies written as text: exactly JSON.stringify of the same body, whatever the arrays hold. */
import { describe, expect, it } from "vitest";
import { chunkBodyText, chunkMultiBodyText } from "../../lib/api/body.js";

const T0 = 1_764_000_000;
const ID = "00000000-0000-4000-8000-000000000001";

describe("request bodies", () => {
  it("chunk/multi: shared timestamps written once per run of equal ones, any channel name, typed arrays, NaN as null", () => {
    const ts = [T0, T0 + 0.001, T0 + 0.002];
    const channels: Array<[string, { timestamps: ArrayLike<number>; values: ArrayLike<number>; units?: string }]> = [
      ["T", { timestamps: ts, values: [600.5, 600.25, -0], units: "C" }],
      ["__proto__", { timestamps: [...ts], values: [1e-7, 2e21, 5] }], // equal numbers, another array
      ["constructor", { timestamps: Float64Array.from(ts), values: Float32Array.from([0.1, 0.2, 0.3]) }],
      ["p", { timestamps: [T0, T0 + 0.001, T0 + 0.003], values: [Number.NaN, 1, 2], units: "mbar" }], // differs in its last
      ["q", { timestamps: [T0, T0 + 0.001], values: [3, 4] }], // shorter
    ];
    const expected = JSON.stringify({
      data_id: ID,
      chunk_index: 7,
      channels: Object.fromEntries(
        channels.map(([name, p]) => [name, { timestamps: Array.from(p.timestamps), values: Array.from(p.values), ...(p.units ? { units: p.units } : {}) }]),
      ),
    });
    // Object.fromEntries made "__proto__" an own key, as the body text does.
    expect(chunkMultiBodyText(ID, 7, channels)).toBe(expected);
    expect(JSON.parse(chunkMultiBodyText(ID, 7, channels)).channels.p.timestamps).toEqual([T0, T0 + 0.001, T0 + 0.003]);
  });

  it("chunk: one channel", () => {
    const points = { timestamps: [T0, T0 + 1], values: [1.5, Number.POSITIVE_INFINITY], units: "nm" };
    expect(chunkBodyText(ID, 0, "thickness", points)).toBe(
      JSON.stringify({ data_id: ID, chunk_index: 0, channel_name: "thickness", timestamps: points.timestamps, values: points.values, units: "nm" }),
    );
  });
});
