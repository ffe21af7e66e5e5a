/**
 * `lines`: an Arduino-style instrument that streams by itself — a header, then a line every 1/rateHz s:
 * temperature `600 + 25·sin(n/20)` (2 decimals), pressure `(2 + sin(n/50))·1e-7` (4 significant digits).
 */
import { encoder, type Simulation } from "./device.js";
import type { SimulatorOptions } from "./types.js";

const LINE_COLUMNS = [
  { name: "temperature", units: "°C", value: (n: number) => 600 + 25 * Math.sin(n / 20), format: (v: number) => v.toFixed(2) },
  { name: "pressure", units: "mbar", value: (n: number) => (2 + Math.sin(n / 50)) * 1e-7, format: (v: number) => v.toExponential(3) },
];

function header(kind: NonNullable<SimulatorOptions["header"]>): string | undefined {
  if (kind === "none") return undefined;
  if (kind === "names") return LINE_COLUMNS.map((c) => c.name).join(" ");
  if (kind === "labels") return LINE_COLUMNS.map((c) => `${c.name}:`).join("\t");
  return `# ${LINE_COLUMNS.map((c) => `${c.name}[${c.units}]`).join(" ")}`;
}

export function streamLines(options: SimulatorOptions, sim: Simulation): void {
  const periodMs = 1000 / (options.rateHz ?? 10);
  const count = options.count ?? Infinity;
  const format = options.format ?? "columns";
  const send = (text: string) => sim.output.send(encoder.encode(text), true);
  if (options.startMidLine) send("1.75 2.5e-7\r\n");
  const first = header(options.header ?? "hash");
  if (first !== undefined) send(`${first}\r\n`);
  let n = 0;
  const tick = () => {
    if (sim.closed) return;
    if (options.badLine?.(n)) {
      send(`sensor glitch #${n}\r\n`);
    } else {
      const fields = LINE_COLUMNS.map((c) => {
        const text = c.format(options.value?.(n, c.name) ?? c.value(n));
        sim.produced.push({ channel: c.name, value: Number(text) });
        return format === "columns" ? text : `${c.name}${format === "labels" ? ":" : "="}${text}`;
      });
      send(`${fields.join(format === "labels" ? "," : " ")}\r\n`);
    }
    n++;
    if (n >= count) {
      sim.closed = true;
      sim.output.end();
      return;
    }
    const timer = setTimeout(() => {
      sim.timers.delete(timer);
      tick();
    }, periodMs);
    sim.timers.add(timer);
  };
  const start = setTimeout(() => {
    sim.timers.delete(start);
    tick();
  }, periodMs);
  sim.timers.add(start);
}
