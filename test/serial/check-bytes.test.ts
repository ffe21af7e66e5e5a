/**
 * Check bytes: the CRC-14 of the SQM-160, the Modbus CRC-16, the EI-Bisynch BCC and the STM-100 sum —
 * known answers from the public drivers' recorded frames, and a corrupted frame in a running poll: a
 * counted problem (`bad-check`), never a reading, and the next frame reads right.
 */
import { describe, expect, it } from "vitest";
import { modbusCrc, sqmCrc, sum8, xorBcc } from "../../lib/serial/checksums.js";
import { bisynchPoll, bisynchReply, modbusRequest, parseSqmReply, parseStmFrame, sqmFrame, stmFrame } from "../../lib/serial/instruments/index.js";
import { latin1 } from "../../lib/serial/instruments/polled.js";
import { pollSimulator, renamed, valuesOf } from "./poll-harness.js";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("known answers", () => {
  it("SQM-160 CRC-14 and frames as pymeasure's tests record them (a CRC byte may be above 0x7F)", () => {
    expect(latin1(sqmCrc(bytes("#@")))).toBe("O7");
    expect(latin1(sqmCrc(bytes("$C?")))).toBe("g/");
    expect(latin1(sqmFrame(bytes("@"), 34))).toBe("!#@O7");
    expect(latin1(sqmFrame(bytes("L1?"), 34))).toBe("!%L1?\x85{");
    expect(latin1(sqmFrame(bytes("P1"), 34))).toBe("!$P1Z\x91");
    expect(latin1(sqmFrame(bytes("M"), 34))).toBe("!#M\x8e\x8a");
    expect(parseSqmReply(bytes("!0AMON Ver 4.13Uw"))).toEqual({ status: "A", data: "MON Ver 4.13" });
    expect(parseSqmReply(bytes("!*A 0.00 [d"))).toEqual({ status: "A", data: " 0.00 " });
    expect(parseSqmReply(bytes("!/A5875830.230:X"))).toEqual({ status: "A", data: "5875830.230" });
    expect(parseSqmReply(bytes("!%A6v\x86"))).toEqual({ status: "A", data: "6" });
    expect(parseSqmReply(bytes("!*A 0.00 [e"))).toBeUndefined();
    expect(parseSqmReply(bytes("!*A 0.01 [d"))).toBeUndefined();
  });

  it("Modbus CRC-16 (the classic 01 03 00 00 00 0A → C5 CD), low byte first", () => {
    expect(modbusCrc(Uint8Array.of(0x01, 0x03, 0x00, 0x00, 0x00, 0x0a)).toString(16)).toBe("cdc5");
    expect(Array.from(modbusRequest(1, 3, 0, 10))).toEqual([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a, 0xc5, 0xcd]);
    expect(Array.from(modbusRequest(1, 3, 0x1000, 1))).toEqual([0x01, 0x03, 0x10, 0x00, 0x00, 0x01, 0x80, 0xca]);
  });

  it("EI-Bisynch: the poll, and a reply whose BCC is the XOR of C1 … ETX", () => {
    expect(latin1(bisynchPoll("01", "PV"))).toBe("\x040011PV\x05");
    const reply = bisynchReply("PV", "23.4");
    expect(latin1(reply.subarray(0, -1))).toBe("\x02PV23.4\x03");
    expect(reply.at(-1)).toBe(xorBcc(bytes("PV23.4\x03")));
    expect(xorBcc(bytes("PV23.4\x03"))).toBe(0x50 ^ 0x56 ^ 0x32 ^ 0x33 ^ 0x2e ^ 0x34 ^ 0x03);
  });

  it("STM-100: STX LEN DATA CHK, CHK the data's sum mod 256", () => {
    expect(Array.from(stmFrame(bytes("S")))).toEqual([0x02, 1, 0x53, 0x53]);
    const frame = stmFrame(bytes("A-0001595"));
    expect(frame[1]).toBe(9);
    expect(frame.at(-1)).toBe(sum8(bytes("A-0001595")));
    expect(parseStmFrame(frame)).toBe("A-0001595");
    const bad = frame.slice();
    bad[4] = 0x31; // a damaged digit
    expect(parseStmFrame(bad)).toBeUndefined();
  });
});

describe.each([
  ["inficon-sqm160", 4, undefined],
  ["sycon-stm100", 2, undefined],
  ["eurotherm-bisynch", 3, undefined],
  ["modbus-rtu", 1, () => "value"],
] as const)("%s: a corrupted frame", (id, perCycle, rename) => {
  it("is a counted bad-check problem, never a reading, and the frames after it read right", async () => {
    const want = 6 * perCycle; // past both corrupted measurements (1 and 5)
    const run = await pollSimulator(id, want, { corrupt: (n) => n === 1 || n === 5 });
    expect(run.problems.map((p) => p.kind)).toEqual(["bad-check", "bad-check"]);
    expect(run.problems[0]!.message).toMatch(/(CRC|checksum|block check)/);
    expect(run.problems[0]!.raw).toBeTruthy();
    // Exactly the values the simulator produced (it produces nothing for a corrupted frame), in order.
    expect(valuesOf(run.readings)).toEqual(renamed(run.sim.produced, rename).slice(0, run.readings.length));
    expect(run.readings.length).toBeGreaterThanOrEqual(want);
    expect(run.sim.overlaps).toBe(0);
  });
});
