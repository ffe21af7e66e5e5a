/**
 * The charts' saved preferences (demo/src/chart-prefs.ts): what is saved is what is loaded; anything
 * missing or malformed falls back to its default, never an error; any channel name works (`__proto__`).
 */
import { describe, expect, it } from "vitest";
import { defaultChartPrefs, loadChartPrefs, saveChartPrefs } from "../../demo/src/chart-prefs.ts";

const WINDOWS = ["1 min", "10 min", "1 h", "all"];
const KEY = "atomscale-stream-demo:charts";

/** A Storage over a Map (local storage's contract, no DOM needed). */
function memoryStorage(full = false): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => {
      if (full) throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
      m.set(k, String(v));
    },
  };
}

describe("chart preferences in local storage", () => {
  it("loads what was saved, channel names like __proto__ included", () => {
    const store = memoryStorage();
    const prefs = defaultChartPrefs();
    prefs.timeWindow = "1 h";
    prefs.log["temperature"] = true;
    prefs.log["__proto__"] = false;
    prefs.hidden = ["pressure"];
    prefs.removed = ["pressure (Instrument 2)"];
    saveChartPrefs(store, prefs);
    const back = loadChartPrefs(store, WINDOWS);
    expect(back.timeWindow).toBe("1 h");
    expect(Object.entries(back.log)).toEqual([["temperature", true], ["__proto__", false]]);
    expect(back.hidden).toEqual(["pressure"]);
    expect(back.removed).toEqual(["pressure (Instrument 2)"]);
    expect(Object.getPrototypeOf(back.log)).toBeNull();
  });

  it("falls back to the defaults for nothing saved, bad JSON, an unknown window and wrong types", () => {
    expect(loadChartPrefs(memoryStorage(), WINDOWS)).toEqual(defaultChartPrefs());
    const bad = memoryStorage();
    bad.setItem(KEY, "{not json");
    expect(loadChartPrefs(bad, WINDOWS)).toEqual(defaultChartPrefs());
    expect(bad.getItem(KEY), "bad JSON is removed").toBeNull();
    const odd = memoryStorage();
    odd.setItem(KEY, JSON.stringify({ timeWindow: "3 weeks", log: [["a", "yes"], ["b", true], "c"], hidden: ["x", 3, null], removed: "y" }));
    const prefs = loadChartPrefs(odd, WINDOWS);
    expect(prefs.timeWindow).toBe("10 min");
    expect(Object.entries(prefs.log)).toEqual([["b", true]]);
    expect(prefs.hidden).toEqual(["x"]);
    expect(prefs.removed).toEqual([]);
  });

  it("a storage that refuses the write is not an error (the preferences last for the page)", () => {
    expect(() => saveChartPrefs(memoryStorage(true), defaultChartPrefs())).not.toThrow();
  });
});
