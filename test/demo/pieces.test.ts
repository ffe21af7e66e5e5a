// @vitest-environment happy-dom
/** The demo page's pieces in a DOM (happy-dom): settings storage, channel specs, the queue panel, the banner. */
import { describe, expect, it } from "vitest";
import { loadSettings, normalizeEndpoint, parseChannels, saveSettings } from "../../demo/src/settings.ts";
import { formatAge, formatBytes, pendingBannerText, renderQuarantine, renderQueue } from "../../demo/src/queue-panel.ts";
import type { SliceMeta } from "../../lib/index.js";

describe("settings", () => {
  it("keeps the key for the session only, unless the user ticks remember", () => {
    localStorage.clear();
    sessionStorage.clear();
    saveSettings({ endpoint: "https://api.atomscale.ai", apiKey: "k1", remember: false }, localStorage, sessionStorage);
    expect(localStorage.length).toBe(0);
    expect(loadSettings(localStorage, sessionStorage)).toEqual({ endpoint: "https://api.atomscale.ai", apiKey: "k1", remember: false });
    saveSettings({ endpoint: "http://127.0.0.1:8765", apiKey: "k2", remember: true }, localStorage, sessionStorage);
    expect(sessionStorage.length).toBe(0);
    expect(loadSettings(localStorage, sessionStorage)).toEqual({ endpoint: "http://127.0.0.1:8765", apiKey: "k2", remember: true });
    localStorage.setItem("atomscale-stream-demo:settings", "{broken");
    expect(loadSettings(localStorage, sessionStorage)).toBeUndefined();
  });

  it("checks endpoints and channel lists, naming what is wrong", () => {
    expect(normalizeEndpoint(" https://api.atomscale.ai/ ")).toBe("https://api.atomscale.ai");
    expect(() => normalizeEndpoint("api.atomscale.ai")).toThrow(/absolute URL .*"api.atomscale.ai"/);
    expect(() => normalizeEndpoint("ftp://x")).toThrow(/http or https/);
    expect(parseChannels("temperature:C, pressure : mbar,rate")).toEqual({ channels: ["temperature", "pressure", "rate"], units: { temperature: "C", pressure: "mbar" } });
    expect(parseChannels("")).toEqual({ channels: [], units: {} });
    expect(() => parseChannels("a:C, :mbar")).toThrow(/has no name \(":mbar"\)/);
  });
});

describe("queue panel", () => {
  const meta = (over: Partial<SliceMeta>): SliceMeta => ({ dataId: "d1", channel: "T", chunkIndex: 0, version: 1, points: 100, bytes: 1700, complete: true, createdAt: 0, ...over });

  it("shows pending, bytes, age, in flight, retries, quarantined, storage and the connection in words", () => {
    document.body.innerHTML = `<dl id="queue">${["connection", "pendingSlices", "pendingBytes", "oldestPending", "inFlight", "retries", "ackedPoints", "quarantined", "storage"].map((f) => `<dd data-field="${f}"></dd>`).join("")}</dl>`;
    const root = document.getElementById("queue")!;
    renderQueue(root, { connection: "retrying", pendingSlices: 12, pendingBytes: 20480, oldestPendingMs: 125_000, inFlight: 4, retries: 7, ackedPoints: 900, quarantined: 1, storage: { usage: 3 * 1024 ** 2, quota: 2 * 1024 ** 3, persisted: true } });
    const field = (f: string) => root.querySelector(`[data-field="${f}"]`)!.textContent;
    expect(field("connection")).toMatch(/retrying.*data waits here/);
    expect(field("pendingSlices")).toBe("12");
    expect(field("pendingBytes")).toBe("20.0 KiB");
    expect(field("oldestPending")).toBe("2 min 5 s");
    expect(field("inFlight")).toBe("4");
    expect(field("retries")).toBe("7");
    expect(field("quarantined")).toBe("1");
    expect(field("storage")).toBe("3.0 MiB of 2.00 GiB, persistent");
    renderQueue(root, { storage: { usage: 1024, quota: 1024 ** 3, persisted: false } });
    expect(field("storage")).toBe("1.0 KiB of 1.00 GiB, the browser may clear it when space runs low; ask it to keep it");
    renderQueue(root, undefined);
    expect(field("pendingSlices")).toBe("0");
    expect(field("connection")).toBe("—");
  });

  it("lists quarantined slices with the server's reason, and words the banner after a reload", () => {
    const list = document.createElement("ul");
    renderQuarantine(list, [meta({ channel: "pressure", chunkIndex: 3, points: 10, quarantined: { status: 422, code: "http_422", detail: [], message: "POST /metrology/stream/chunk failed: HTTP 422: values: sensor offline", at: 1 } })]);
    expect(list.querySelectorAll("li")).toHaveLength(1);
    expect(list.textContent).toBe("pressure #3 (10 points): POST /metrology/stream/chunk failed: HTTP 422: values: sensor offline");
    expect(pendingBannerText([])).toBeUndefined();
    expect(pendingBannerText([meta({}), meta({ chunkIndex: 1, points: 40 }), meta({ dataId: "d2" }), meta({ chunkIndex: 9, quarantined: { code: "x", detail: null, message: "m", at: 1 } })])).toBe(
      "3 slices (240 points) of 2 streams from an earlier session are waiting in this browser and are being sent.",
    );
    expect(formatBytes(512)).toBe("512 B");
    expect(formatAge(0)).toBe("—");
    expect(formatAge(3_725_000)).toBe("1 h 2 min");
  });
});

describe("chart ticks", () => {
  it("stay readable from 1e-9 mbar to 1e5 °C", async () => {
    const { formatTick } = await import("../../demo/src/channel-chart.ts");
    expect([2e-7, 1.5e-9, 0, 600.25, 123456.7, 2.5e6, null].map(formatTick)).toEqual(["2.0e-7", "1.5e-9", "0", "600.3", "123500", "2.5e+6", ""]);
  });
});
