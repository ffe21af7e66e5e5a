// @vitest-environment happy-dom
/**
 * The instrument page's parts in a DOM (happy-dom): channel merging across instruments, the CSV, tags, the
 * status bar's words, errors in plain words, the raw view, the saved session, driver-specific fields.
 */
import { describe, expect, it } from "vitest";
import { ApiError } from "../../lib/index.js";
import { SerialConnectionError } from "../../lib/serial/index.js";
import { ChannelRegistry } from "../../demo/src/channel-registry.ts";
import { formatAgeSeconds, formatValue, isPressureUnit } from "../../demo/src/channel-chart.ts";
import { driverOptions, fieldsFor } from "../../demo/src/driver-fields.ts";
import { explain, showError } from "../../demo/src/errors.ts";
import { loadSession, saveSession } from "../../demo/src/page-store.ts";
import { RawLog, visibleText } from "../../demo/src/raw-log.ts";
import { parseCsv, toCsv, type RecordedReading } from "../../demo/src/recording.ts";
import { parseTags } from "../../demo/src/settings.ts";
import { SourceCard, newSourceRecord, type SourceCardHost } from "../../demo/src/source-card.ts";
import { pendingText, platformText, StatusBar, type StatusInput } from "../../demo/src/status-bar.ts";

describe("channels of several instruments in one stream", () => {
  it("keeps the first sender's name and prefixes a clash with the instrument's name, stably, and says so", () => {
    const clashes: string[] = [];
    const reg = new ChannelRegistry((c) => clashes.push(`${c.channel}→${c.renamed} (owner ${c.owner})`));
    const r = (channel: string, value = 1) => ({ channel, t: 1_700_000_000, value });
    expect(reg.map("s1", "Instrument 1", [r("temperature"), r("pressure")]).map((x) => x.channel)).toEqual(["temperature", "pressure"]);
    expect(reg.map("s2", "Instrument 2", [r("temperature"), r("rate")]).map((x) => x.channel)).toEqual(["temperature (Instrument 2)", "rate"]);
    expect(reg.map("s2", "Instrument 2", [r("temperature")]).map((x) => x.channel)).toEqual(["temperature (Instrument 2)"]);
    expect(clashes).toEqual(["temperature→temperature (Instrument 2) (owner s1)"]);
    // Names that are Object.prototype's are ordinary channels.
    expect(reg.map("s3", "Instrument 3", [r("__proto__"), r("constructor")]).map((x) => x.channel)).toEqual(["__proto__", "constructor"]);
    // Same names after a reload (from the saved snapshot), whoever sends first then.
    const again = new ChannelRegistry(() => {}, reg.snapshot());
    expect(again.map("s2", "Instrument 2", [r("temperature")])[0]!.channel).toBe("temperature (Instrument 2)");
    expect(again.map("s1", "Instrument 1", [r("temperature")])[0]!.channel).toBe("temperature");
    // A removed instrument's names become free.
    again.release("s1");
    expect(again.map("s4", "Instrument 4", [r("temperature")])[0]!.channel).toBe("temperature");
    expect(again.channelsOf("s2")).toEqual(["temperature (Instrument 2)", "rate"]);
  });
});

describe("the CSV of what was recorded", () => {
  it("round-trips every field exactly, quotes included", () => {
    const rows: RecordedReading[] = [
      { source: "Instrument 1", channel: "temperature", t: 1_764_500_000.123456, value: 600.25, units: "°C" },
      { source: "Instrument 2", channel: 'pressure, "main"', t: 1_764_500_000.2, value: 2.1e-7, units: "mbar" },
      { source: "Instrument 3", channel: "rate", t: 1_764_500_001, value: -0, units: undefined },
    ];
    const csv = toCsv(rows);
    expect(csv.split("\r\n")[0]).toBe("unix_seconds,time_utc,source,channel,value,units");
    expect(csv.split("\r\n")[2]).toBe('1764500000.2,2025-11-30T10:53:20.200Z,Instrument 2,"pressure, ""main""",2.1e-7,mbar');
    const back = parseCsv(csv);
    expect(back.map((b) => ({ source: b.source, channel: b.channel, t: Number(b.unix_seconds), value: Number(b.value), units: b.units || undefined }))).toEqual(rows.map((r) => ({ ...r, value: r.value === 0 ? 0 : r.value })));
  });

  it("reads tags, naming what is wrong", () => {
    expect(parseTags(" GaN, run 42 ,, GaN,calibration ")).toEqual(["GaN", "run 42", "calibration"]);
    expect(parseTags("")).toEqual([]);
    expect(() => parseTags("x".repeat(300))).toThrow(/Tags: "x{20}"… is longer than 255 characters/);
  });
});

describe("the status bar", () => {
  const base: StatusInput = { noKey: false, endpoint: "http://127.0.0.1:8765", connection: "idle", since: Date.UTC(2026, 0, 1, 9, 30, 5), online: true, instruments: [], pending: { slices: 0, points: 0, oldestMs: 0 } };
  it("says the platform's reachability as the uploader sees it, in plain words", () => {
    expect(platformText(base)).toEqual({ text: "Platform: reachable — everything is sent.", tone: "ok" });
    expect(platformText({ ...base, connection: "sending" }).text).toBe("Platform: reachable — sending.");
    expect(platformText({ ...base, connection: "retrying" }).text).toMatch(/^Platform: not reachable, retrying since \d\d:\d\d:\d\d — data is kept here and sent when it is back\.$/);
    expect(platformText({ ...base, connection: "auth-paused" })).toEqual({ text: "Platform: the API key was refused — uploads are paused, data is kept here. Enter a valid key:", tone: "bad" });
    expect(platformText({ ...base, online: false }).text).toMatch(/^Platform: this computer is offline since .* — data is kept here/);
    expect(platformText({ ...base, noKey: true }).tone).toBe("warn");
    expect(pendingText({ slices: 0, points: 0, oldestMs: 0 })).toBe("Nothing waiting to be sent.");
    expect(pendingText({ slices: 3, points: 240, oldestMs: 125_000 })).toBe("Waiting to be sent: 240 points (3 slices), oldest 2 min 5 s.");
  });

  it("renders the instruments, the recording and the technical detail (never the key)", () => {
    const keys: string[] = [];
    const bar = new StatusBar((k) => keys.push(k));
    bar.render({ ...base, connection: "retrying", lastError: "POST /tool-state/stream/chunk/multi failed: network: Failed to fetch", recording: { dataId: "local-1", name: "GaN run", platformId: undefined }, instruments: ["Instrument 1: connected", "Instrument 2: unplugged, waiting"], pending: { slices: 1, points: 1, oldestMs: 1000 } });
    expect(bar.element.dataset.tone).toBe("warn");
    expect(bar.element.querySelector(".instruments")!.textContent).toBe("Instrument 1: connected · Instrument 2: unplugged, waiting");
    expect(bar.element.querySelector(".recording")!.textContent).toBe('Recording "GaN run".');
    expect(bar.element.querySelector(".pending")!.textContent).toBe("Waiting to be sent: 1 point (1 slice), oldest 1 s.");
    expect(bar.element.querySelector("pre")!.textContent).toContain("last upload error: POST /tool-state/stream/chunk/multi failed");
    expect(bar.element.querySelector<HTMLElement>(".auth-problem")!.hidden).toBe(true);
    // A refused key: the field for a new one is right there, at the top.
    bar.render({ ...base, connection: "auth-paused" });
    expect(bar.element.querySelector<HTMLElement>(".auth-problem")!.hidden).toBe(false);
    bar.element.querySelector<HTMLInputElement>('input[name="new-key"]')!.value = " k2 ";
    bar.element.querySelector<HTMLButtonElement>(".auth-problem button")!.click();
    expect(keys).toEqual(["k2"]);
  });
});

describe("errors in plain words", () => {
  it("one sentence that says what to do; the technical detail behind a click", () => {
    const network = new ApiError({ method: "POST", path: "/tool-state/stream/initialize", code: "network", classification: "transient", cause: new TypeError("Failed to fetch") });
    expect(explain(network, "start the stream").sentence).toBe(
      "Could not start the stream: the platform cannot be reached right now (network or server down). Readings are still shown here; try again when it is back.",
    );
    expect(explain(network, "start the stream").detail).toMatch(/ApiError \[network\]: .*\n {2}caused by TypeError: Failed to fetch/);
    expect(explain(new ApiError({ method: "POST", path: "/x", status: 401 }), "start the stream").sentence).toMatch(/refused the API key\. Enter a valid key in Settings\.$/);
    expect(explain(new DOMException("No port selected by the user.", "NotFoundError"), "connect").sentence).toBe("No port was chosen. Press Connect again and pick the instrument's port.");
    expect(explain(new SerialConnectionError("Could not open the serial port: busy.", "NetworkError"), "connect the instrument").sentence).toMatch(/open in another tab or program/);
    const box = document.createElement("div");
    showError(box, network, "start the stream");
    expect(box.hidden).toBe(false);
    expect(box.querySelector("p")!.textContent).toMatch(/^Could not start the stream/);
    expect(box.querySelector("details > summary")!.textContent).toBe("Technical detail");
    showError(box, undefined, "");
    expect(box.hidden).toBe(true);
  });
});

describe("the raw view", () => {
  it("keeps the last lines with receipt times, what was sent, and the problems, control characters visible", () => {
    const log = new RawLog(3);
    const enc = new TextEncoder();
    log.received({ bytes: enc.encode("600.1 2.0e-7\r\n601"), t: 10 });
    log.received({ bytes: enc.encode(".2 2.1e-7\r\n"), t: 11 });
    log.sent(enc.encode("\x05"), 12);
    log.problem({ kind: "bad-line", message: "Skipped a line: \"x\" is not a number.", raw: "x", t: 13 });
    expect(log.entries()).toEqual([
      { t: 11, kind: "in", text: "601.2 2.1e-7" },
      { t: 12, kind: "out", text: "<ENQ>" },
      { t: 13, kind: "problem", text: 'bad-line: Skipped a line: "x" is not a number. — "x"' },
    ]);
    expect(visibleText("\x06")).toBe("<ACK>");
    expect(visibleText(Uint8Array.from([0x01, 0x03, 0x02, 0x00, 0x64, 0xb9, 0xaf]))).toBe("01 03 02 00 64 b9 af");
  });
});

describe("readouts", () => {
  it("log axis for pressure units; values and ages a person reads", () => {
    expect(["mbar", "Torr", "Pa", "hPa", " mbar "].every(isPressureUnit)).toBe(true);
    expect(["°C", "K", "Å/s", undefined, "V"].some((u) => isPressureUnit(u))).toBe(false);
    expect([600.251234, 2.1e-7, 0, undefined, 1234567].map(formatValue)).toEqual(["600.251", "2.100e-7", "0", "—", "1.235e+6"]);
    expect([0.2, 5, 125, 7300].map(formatAgeSeconds)).toEqual(["now", "5 s ago", "2 min ago", "2 h ago"]);
  });
});

describe("the saved session", () => {
  it("survives a reload, adds the sent counter up, and takes over round 1's single instrument", () => {
    localStorage.clear();
    const source = newSourceRecord([]);
    saveSession(localStorage, { sources: [source], channels: { assigned: { "source-1": [["temperature", "temperature"]] } }, active: { dataId: "d1", name: "run", startedAt: 1, ackedBefore: 100, ackedSeen: 40 } });
    const loaded = loadSession(localStorage);
    expect(loaded.sources).toEqual([source]);
    expect(loaded.active).toMatchObject({ dataId: "d1", ackedBefore: 140, ackedSeen: 0 });
    localStorage.clear();
    localStorage.setItem("atomscale-stream-demo:active", JSON.stringify({ dataId: "d0", driverId: "lines", serial: { baudRate: 9600 }, channels: "t:C", command: "", simulated: false, usb: { usbVendorId: 1, usbProductId: 2 } }));
    const old = loadSession(localStorage);
    expect(old.sources[0]).toMatchObject({ id: "source-1", kind: "serial", driverId: "lines", channels: "t:C", fields: {}, usb: { usbVendorId: 1, usbProductId: 2 } });
    expect(old.active?.dataId).toBe("d0");
    expect(newSourceRecord([source]).name).toBe("Instrument 2");
  });
});

describe("a source card", () => {
  const host: SourceCardHost = { readings: async () => {}, changed: () => {}, remove: () => {}, portsInUse: () => [] };
  const labels = (card: SourceCard) => [...card.element.querySelectorAll("label")].map((l) => l.firstChild?.textContent?.trim());

  it("shows driver-specific fields only for their driver, with the driver's serial defaults", () => {
    const card = new SourceCard(newSourceRecord([]), host);
    document.body.append(card.element);
    const driver = card.element.querySelector<HTMLSelectElement>('select[name="driver"]')!;
    expect(labels(card)).not.toContain("Command (SCPI)");
    driver.value = "scpi";
    driver.dispatchEvent(new Event("change"));
    expect(labels(card)).toContain("Command (SCPI)");
    expect(card.element.querySelector<HTMLInputElement>('input[name="command"]')!.value).toBe("MEAS:TEMP?");
    driver.value = "lakeshore-33x";
    driver.dispatchEvent(new Event("change"));
    expect(labels(card)).not.toContain("Command (SCPI)");
    expect(labels(card)).toContain("Input (A–D)");
    expect(card.element.querySelector<HTMLInputElement>('input[name="baud"]')!.value).toBe("57600");
    expect(card.element.querySelector<HTMLSelectElement>('select[name="parity"]')!.value).toBe("odd");
  });

  it("reads driver-specific fields into the driver's options, naming a bad field and its value", () => {
    expect(driverOptions("modbus-rtu", { address: "7", registers: "0x1000, 4097", functionCode: "4", dataType: "float32", wordOrder: "little", scale: "0.1" })).toEqual({
      address: "7",
      registers: [0x1000, 4097],
      functionCode: 4,
      dataType: "float32",
      wordOrder: "little",
      scale: 0.1,
    });
    expect(driverOptions("mks-937b", { inputs: "1, 3,,", address: "" })).toEqual({ inputs: ["1", "3"] });
    expect(driverOptions("lines", { command: "X?" })).toEqual({}); // not a field of this driver
    expect(() => driverOptions("modbus-rtu", { registers: "0x1000, 70000" })).toThrow('Registers: "0x1000, 70000" is not a list of register numbers (0–65535, decimal or 0x hex, e.g. 0x1000).');
    expect(() => driverOptions("modbus-rtu", { scale: "0" })).toThrow('Scale: "0" is not a scale (a number other than 0).');
    expect(fieldsFor("modbus-rtu").map((f) => f.label)).toEqual(["Slave address", "Registers", "Function", "Data type", "Word order", "Scale"]);
  });

  it("refuses a bad baud rate with a sentence naming the field and the value", async () => {
    const card = new SourceCard(newSourceRecord([]), host);
    card.element.querySelector<HTMLInputElement>('input[name="baud"]')!.value = "-5";
    await card.simulate();
    expect(card.connected).toBe(false);
    expect(card.element.querySelector(".error p")!.textContent).toBe('Could not start the simulated instrument: Baud rate must be a whole number above 0, not "-5".');
  });
});
