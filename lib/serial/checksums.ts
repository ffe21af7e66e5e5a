/**
 * The check bytes of the framed instrument protocols (reference §4). Pure functions on bytes, shared by
 * the drivers (to check a reply) and the simulators (to build one).
 */

/**
 * Inficon SQM-160 / SQC-310 CRC-14: init 0x3FFF, polynomial 0x2001 (shifted right), over the length
 * character and the message; the 14 bits are sent as two 7-bit halves, each + 34 (so never `!`).
 */
export function sqmCrc(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) return Uint8Array.of(0, 0);
  let crc = 0x3fff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) {
      const low = crc & 1;
      crc >>= 1;
      if (low) crc ^= 0x2001;
    }
    crc &= 0x3fff;
  }
  return Uint8Array.of((crc & 0x7f) + 34, ((crc >> 7) & 0x7f) + 34);
}

/** Modbus RTU CRC-16: init 0xFFFF, polynomial 0xA001 (reflected 0x8005); sent low byte first. */
export function modbusCrc(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** EI-Bisynch block check character: XOR of the bytes (C1 … ETX). */
export function xorBcc(bytes: Uint8Array): number {
  let bcc = 0;
  for (const b of bytes) bcc ^= b;
  return bcc;
}

/** Sycon STM-100 check byte: the sum of the data bytes, modulo 256. */
export function sum8(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return sum;
}

/** Bytes as hex pairs, for messages: `01 03 02 00 7b`. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}
