/**
 * WebSerialConnection against a fake navigator.serial that behaves like the spec (test/fixtures/fake-serial.js):
 * arbitrary chunk splits, recoverable errors, unplug / replug with a new port object, close order.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runInThisContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { WebSerialConnection } from "../../lib/serial/web-serial.js";
import type { TimedBytes } from "../../lib/serial/driver.js";
import { ROOT } from "../helpers/emulator.js";

runInThisContext(readFileSync(join(ROOT, "test/fixtures/fake-serial.js"), "utf8"));
type Controls = {
  plug(device: Device, info?: { usbVendorId: number; usbProductId: number }, opts?: { grant?: boolean }): SerialPort;
  unplug(port?: SerialPort): SerialPort;
  injectError(name: string, port?: SerialPort): void;
  cancelNextRequest(): void;
  serial: Serial;
};
type Device = { attach(send: (b: Uint8Array) => void): void; detach(): void; write(b: Uint8Array): Promise<void> };
const install = (globalThis as unknown as { __installFakeSerial: (t: object, o?: object) => Controls }).__installFakeSerial;

/** A device that sends what the test tells it to, and records what it was sent. */
function scriptedDevice() {
  let send: ((b: Uint8Array) => void) | undefined;
  const received: string[] = [];
  return {
    attach: (s: (b: Uint8Array) => void) => void (send = s),
    detach: () => void (send = undefined),
    write: async (b: Uint8Array) => void received.push(new TextDecoder().decode(b)),
    say: (text: string) => send?.(new TextEncoder().encode(text)),
    get attached() {
      return send !== undefined;
    },
    received,
  };
}

async function collect(readable: ReadableStream<TimedBytes>, until: (text: string) => boolean, timeoutMs = 3000) {
  const reader = readable.getReader();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (!until(text) && Date.now() < deadline) {
      const next = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), 50))]);
      if (next === null) continue;
      if (next.done) break;
      text += new TextDecoder().decode(next.value.bytes);
    }
  } finally {
    reader.releaseLock();
  }
  return text;
}

describe("the fake navigator.serial behaves like the spec", () => {
  it("rejects close() while locked and open() twice; cancelling the chooser is NotFoundError", async () => {
    const nav = {};
    const fake = install(nav);
    const serial = (nav as { serial: Serial }).serial;
    const port = fake.plug(scriptedDevice());
    fake.cancelNextRequest();
    await expect(serial.requestPort()).rejects.toMatchObject({ name: "NotFoundError" });
    expect(await serial.requestPort()).toBe(port);
    expect(await serial.getPorts()).toEqual([port]);
    await port.open({ baudRate: 9600 });
    await expect(port.open({ baudRate: 9600 })).rejects.toMatchObject({ name: "InvalidStateError" });
    const reader = port.readable!.getReader();
    await expect(port.close()).rejects.toThrow(/Cannot cancel a locked stream/);
    reader.releaseLock();
    await port.close();
  });
});

describe("WebSerialConnection", () => {
  it("reads across arbitrary chunk splits, stamping each chunk at receipt", async () => {
    const nav = {};
    const fake = install(nav, { seed: 3 });
    const device = scriptedDevice();
    const port = fake.plug(device);
    const before = Date.now() / 1000;
    const conn = await WebSerialConnection.open(port, { baudRate: 115200 }, { serial: (nav as { serial: Serial }).serial });
    expect((port as unknown as { openedWith: SerialOptions }).openedWith).toMatchObject({ baudRate: 115200, dataBits: 8, stopBits: 1, parity: "none", bufferSize: 16384 });
    const line = "12.5 3.25 0.001\n".repeat(20);
    device.say(line);
    const reader = conn.readable.getReader();
    let text = "";
    let chunks = 0;
    while (text.length < line.length) {
      const { value } = await reader.read();
      expect(value!.t).toBeGreaterThanOrEqual(before);
      text += new TextDecoder().decode(value!.bytes);
      chunks++;
    }
    reader.releaseLock();
    expect(text).toBe(line);
    expect(chunks).toBeGreaterThan(20); // really split
    await conn.close();
    expect(conn.state).toBe("closed");
  });

  it("takes a fresh reader after a BreakError and goes on reading", async () => {
    const nav = {};
    const fake = install(nav);
    const device = scriptedDevice();
    const port = fake.plug(device);
    const conn = await WebSerialConnection.open(port, { baudRate: 9600 }, { serial: (nav as { serial: Serial }).serial });
    const problems: string[] = [];
    conn.addEventListener("problem", (e) => problems.push((e as CustomEvent).detail.name));
    device.say("before\n");
    expect(await collect(conn.readable, (t) => t.includes("before\n"))).toContain("before\n");
    fake.injectError("BreakError");
    await new Promise((r) => setTimeout(r, 20));
    device.say("after\n");
    expect(await collect(conn.readable, (t) => t.includes("after\n"))).toContain("after\n");
    expect(problems).toEqual(["BreakError"]);
    expect(conn.state).toBe("open");
    await conn.close();
  });

  it("on unplug goes 'disconnected'; a replugged device (a new port object) with the same USB ids resumes reading", async () => {
    const nav = {};
    const fake = install(nav);
    const serial = (nav as { serial: Serial }).serial;
    const device = scriptedDevice();
    const first = fake.plug(device, { usbVendorId: 0x1fb9, usbProductId: 0x0301 }, { grant: true });
    const conn = await WebSerialConnection.open(first, { baudRate: 57600, dataBits: 7, parity: "odd" }, { serial });
    const states: string[] = [];
    conn.addEventListener("state", (e) => states.push((e as CustomEvent).detail.state));
    device.say("one\n");
    expect(await collect(conn.readable, (t) => t.includes("one\n"))).toContain("one\n");
    fake.unplug(first);
    await expect.poll(() => conn.state).toBe("reconnecting");
    expect(states).toEqual(["disconnected", "reconnecting"]);
    await expect(conn.write(new TextEncoder().encode("KRDG? A\n"))).rejects.toThrow(/reconnecting: nothing was sent/);
    // another device plugged meanwhile is not ours
    fake.plug(scriptedDevice(), { usbVendorId: 0x2341, usbProductId: 0x0043 });
    const replugged = fake.plug(device, { usbVendorId: 0x1fb9, usbProductId: 0x0301 });
    expect(replugged).not.toBe(first);
    await expect.poll(() => conn.state).toBe("open");
    expect(conn.port).toBe(replugged);
    device.say("two\n");
    expect(await collect(conn.readable, (t) => t.includes("two\n"))).toContain("two\n");
    await conn.write(new TextEncoder().encode("KRDG? A\n"));
    expect(device.received).toEqual(["KRDG? A\n"]);
    await conn.close();
    expect(device.attached).toBe(false); // closed in order: no "Cannot cancel a locked stream"
  });

  it("closes while a read is pending without hitting a locked stream, and reports a port that will not open", async () => {
    const nav = {};
    const fake = install(nav);
    const port = fake.plug(scriptedDevice());
    const conn = await WebSerialConnection.open(port, { baudRate: 9600 }, { serial: (nav as { serial: Serial }).serial });
    await new Promise((r) => setTimeout(r, 10)); // the read loop is waiting in read()
    await conn.close();
    expect(conn.state).toBe("closed");
    await port.open({ baudRate: 9600 }); // really closed: it opens again
    await expect(WebSerialConnection.open(port, { baudRate: 9600 })).rejects.toThrow(/already open/);
  });
});
