/** A lane's chunk index → slot table: the same answers as a Map, whatever the order of puts and acknowledgements. */
import { describe, expect, it } from "vitest";
import { ChunkSlots } from "../../lib/outbox/chunk-slots.js";

function check(table: ChunkSlots, model: Map<number, number>) {
  expect(table.size).toBe(model.size);
  expect(new Map(table.entries())).toEqual(model);
  for (const [c, slot] of model) expect(table.get(c)).toBe(slot);
}

describe("ChunkSlots", () => {
  it("a stream's life: appended in order, acknowledged from the oldest, the window moves up instead of growing", () => {
    const table = new ChunkSlots();
    const model = new Map<number, number>();
    for (let c = 0; c < 100_000; c++) {
      table.set(c, c + 7);
      model.set(c, c + 7);
      if (c >= 50) {
        expect(table.delete(c - 50)).toBe(true);
        model.delete(c - 50);
      }
    }
    check(table, model);
    expect(table.denseBytes).toBeLessThanOrEqual(4 * 256); // 50 live chunks: a small window, not 100 000 entries
    expect(table.get(10)).toBeUndefined();
    expect(table.delete(10)).toBe(false);
  });

  it("agrees with a Map over random puts, re-puts and deletes, near and far indexes, and gives back its window when empty", () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const table = new ChunkSlots();
    const model = new Map<number, number>();
    for (let step = 0; step < 50_000; step++) {
      const far = rnd(20) === 0;
      const c = far ? 1_000_000 + rnd(1_000_000) : Math.max(0, Math.floor(step / 10) + rnd(40) - 20);
      if (rnd(3) === 0) {
        expect(table.delete(c)).toBe(model.delete(c));
      } else {
        table.set(c, step);
        model.set(c, step);
      }
      if (step % 5000 === 0) check(table, model);
    }
    check(table, model);
    for (const c of [...model.keys()]) {
      table.delete(c);
      model.delete(c);
    }
    check(table, model);
    expect(table.denseBytes).toBe(0);
    table.set(5, 1); // a new window where it lands
    expect([...table.entries()]).toEqual([[5, 1]]);
  });
});
