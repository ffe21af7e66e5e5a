/**
 * `sycon-stm100`: `STX LEN DATA CHK` frames; `S` → thickness `1000 + 7·n` Å as a signed 7-digit integer
 * (`A 0001007`), `T` → rate `1.5 + 0.1·(n mod 10)` Å/s (`A 001.6`), `@` → `ASTM-100 1.0`, other
 * commands code `F`. A command with a bad checksum gets no answer. `statusOf` answers its text instead
 * of the value (a single letter F–K is sent as the code); `corrupt` damages the check byte.
 */
import { parseStmFrame, stmFrame, stmMeasure } from "../instruments/sycon-stm100.js";
import { bytesOf, measurements, type Protocol } from "./device.js";
import { corruptLast, framedCommands } from "./framed.js";
import type { SimulatorOptions } from "./types.js";

function signed(value: number, width: number, decimals: number): string {
  const digits = Math.abs(value).toFixed(decimals).padStart(width, "0");
  return `${value < 0 ? "-" : " "}${digits}`;
}

export function syconStm100Protocol(options: SimulatorOptions): Protocol {
  const count = measurements(options);
  return {
    commands: framedCommands("STM-100 command", stmMeasure),
    respond(frame) {
      const command = parseStmFrame(frame);
      if (command === undefined) return undefined;
      const reply = (data: string) => stmFrame(bytesOf(data));
      if (command === "@") return { reply: reply("ASTM-100 1.0") };
      if (command !== "S" && command !== "T") return { reply: reply("F") };
      const k = count.next();
      if (k === undefined) return undefined;
      const channel = command === "S" ? "thickness" : "rate";
      const status = options.statusOf?.(k, channel);
      if (status !== undefined) return { reply: reply(/^[F-K]$/.test(status) ? status : `A${status}`), measurement: true };
      const v = options.value?.(k, channel) ?? (command === "S" ? 1000 + 7 * k : 1.5 + 0.1 * (k % 10));
      const text = command === "S" ? signed(Math.round(v), 7, 0) : signed(v, 5, 1);
      const out = reply(`A${text}`);
      if (options.corrupt?.(k)) return { reply: corruptLast(out), measurement: true };
      return { reply: out, produced: { channel, value: Number(text) }, measurement: true };
    },
  };
}
