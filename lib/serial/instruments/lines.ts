/**
 * Arduino-plotter style lines (reference §4), streamed by the instrument itself:
 *
 *   # time temperature[°C] pressure[mbar]     a header: names the columns (optionally with [units])
 *   12.3 4.5 6                                values separated by spaces, commas or tabs
 *   temp:12.3,p:4.5e-7                        label:value pairs
 *   temp=12.3 p=4.5e-7                        key=value pairs (also `temp: 12.3`, value after the separator)
 *   temperature:\tpressure:                   a label-only line: names the columns, like a header
 *   temperature,pressure                      the first line, if it holds only names: names the columns
 *                                             (the Arduino serial plotter's label forms)
 *
 * A bare value takes its column's name from the last header, else `options.channels[i]`, else `value1`,
 * `value2`, … (i counts the bare values of the line). Units: `options.units[name]`, else the header's
 * `[units]`. Every reading of a line is stamped with the line's receipt time — a `time` column is just
 * another channel (an instrument's own clock is not epoch seconds).
 *
 * The first line after connecting may be the tail of a line and is dropped (`dropFirstLine`, default
 * true) — unless it is a header: a line's tail cannot start with `#`, so a header arriving first is whole.
 * A bare-names first line is taken as a header too, even when `dropFirstLine` would drop it: an Arduino
 * prints its names first after the reset that opening the port causes. A line that does not parse — a
 * word where a number belongs, a channel named twice, a name longer than the platform's 255 characters —
 * is reported (`bad-line`, with the raw text) and skipped; the lines around it are read. When a header
 * names the columns differently from before, `onInfo` is told once (with the configured names it
 * overrides, if any).
 */
import type { DriverOptions, InstrumentDriver, InstrumentIO } from "../driver.js";
import { checkChannel } from "../../input.js";
import { guardReadings, ownUnits } from "../reading-guard.js";
import { LineFramer, type TimedLine } from "../framing.js";
import type { Reading } from "../../types.js";
import { ReadableStreamBase } from "../../streams/web-streams.js";
import { ABORTED, orAbort, parseDecimal } from "./polled.js";

/** A column named by a header. */
export interface PlotterColumn {
  name: string;
  units?: string | undefined;
}

export type ParsedLine =
  | { kind: "readings"; readings: Reading[] }
  | { kind: "header"; columns: PlotterColumn[] }
  | { kind: "blank" }
  | { kind: "bad"; reason: string };

const SEPARATORS = /[, \t]+/;

/** `name[units]` → name and units. */
function nameAndUnits(token: string): PlotterColumn {
  const m = /^(.+?)\[(.*)\]$/.exec(token);
  return m ? { name: m[1]!, units: m[2] || undefined } : { name: token };
}

/** A token that is a label with nothing after its `:` or `=` (`temperature:`). */
const LABEL_ONLY = /^[^:=]+[:=]$/;

/** Parses plotter lines one by one, remembering the last header. */
export class PlotterLineParser {
  columns: PlotterColumn[] = [];
  readonly #channels: readonly string[];
  readonly #units: DriverOptions["units"];

  constructor(options: Pick<DriverOptions, "channels" | "units"> = {}) {
    this.#channels = options.channels ?? [];
    this.#units = options.units;
  }

  /** One line; `first`: the first line since connecting, which may be a line of bare names. */
  parse(text: string, t: number, first = false): ParsedLine {
    const line = text.trim();
    if (line.startsWith("#")) return this.#header(line.slice(1).split(SEPARATORS).filter(Boolean));
    const tokens = line.split(SEPARATORS).filter(Boolean);
    if (tokens.length === 0) return { kind: "blank" };
    if (tokens.every((token) => LABEL_ONLY.test(token))) return this.#header(tokens.map((token) => token.slice(0, -1)));
    if (first && tokens.every((token) => !/[:=#]/.test(token) && parseDecimal(token) === undefined && !/^[+-]?(nan|inf(inity)?)$/i.test(token))) {
      return this.#header(tokens);
    }
    const readings: Reading[] = [];
    const seen = new Set<string>();
    let column = 0;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      const sep = token.search(/[:=]/);
      let name: string;
      let valueText: string;
      let units: string | undefined;
      if (sep >= 0) {
        const label = nameAndUnits(token.slice(0, sep));
        if (label.name === "") return { kind: "bad", reason: `a value without a label (${JSON.stringify(token)})` };
        name = label.name;
        units = label.units ?? this.columns.find((c) => c.name === name)?.units;
        valueText = token.slice(sep + 1);
        if (valueText === "") {
          const next = tokens[++i];
          if (next === undefined) return { kind: "bad", reason: `no value after ${JSON.stringify(token)}` };
          valueText = next;
        }
      } else {
        const named = this.columns[column];
        name = named?.name ?? this.#channels[column] ?? `value${column + 1}`;
        units = named?.units;
        valueText = token;
        column++;
      }
      const value = parseDecimal(valueText);
      if (value === undefined) return { kind: "bad", reason: `${JSON.stringify(valueText.length > 40 ? `${valueText.slice(0, 37)}...` : valueText)} is not a number` };
      if (seen.has(name)) return { kind: "bad", reason: `channel ${JSON.stringify(name)} appears twice` };
      try {
        checkChannel(name, "the channel name");
      } catch (error) {
        return { kind: "bad", reason: (error as Error).message.replace(/\.$/, "") };
      }
      if (name.includes("\u0000")) return { kind: "bad", reason: `the channel name ${JSON.stringify(name)} holds a NUL character, which the platform cannot store` };
      seen.add(name);
      readings.push({ channel: name, t, value, units: ownUnits(this.#units, name) ?? units });
    }
    return { kind: "readings", readings };
  }

  #header(names: string[]): ParsedLine {
    this.columns = names.map(nameAndUnits);
    return { kind: "header", columns: this.columns };
  }
}

export const lines: InstrumentDriver = {
  id: "lines",
  label: "Plotter lines (Arduino-style: values, label:value, key=value)",
  kind: "streaming",
  serial: { baudRate: 115200, dataBits: 8, parity: "none", stopBits: 1, flowControl: "none" },
  readings(io: InstrumentIO, options: DriverOptions = {}): ReadableStream<Reading[]> {
    const signal = options.signal;
    const report = options.onProblem;
    const framer = new LineFramer({ onProblem: report });
    const parser = new PlotterLineParser(options);
    const configured = options.channels;
    let first = true;
    const dropFirst = options.dropFirstLine ?? true;
    let stopped = false;
    let named = "";

    const parse = (found: TimedLine[]): Reading[] => {
      const batch: Reading[] = [];
      for (const line of found) {
        const parsed = parser.parse(line.text, line.t, first);
        const wasFirst = first;
        first = false;
        if (parsed.kind === "header") {
          const columns = parsed.columns.map((c) => c.name);
          if (columns.join("\u0000") !== named) {
            named = columns.join("\u0000");
            const overrides = configured !== undefined && configured.length > 0 && configured.some((c, i) => c !== columns[i]);
            options.onInfo?.({
              kind: "columns",
              message: `The instrument names its columns ${columns.join(", ")}${overrides ? `; these names are used instead of the configured ${configured.join(", ")}` : ""}.`,
              columns,
              configured: overrides ? [...configured] : undefined,
              t: line.t,
            });
          }
          continue;
        }
        if (wasFirst && dropFirst) continue; // maybe the tail of a line
        if (parsed.kind === "readings") batch.push(...guardReadings(parsed.readings, report, line.text));
        else if (parsed.kind === "bad") report?.({ kind: "bad-line", message: `Skipped a line: ${parsed.reason}.`, raw: line.text, t: line.t });
      }
      return batch;
    };

    return new ReadableStreamBase<Reading[]>(
      {
        async pull(controller) {
          for (;;) {
            if (stopped || signal?.aborted) {
              controller.close();
              return;
            }
            const chunk = await orAbort(io.read(), signal);
            if (chunk === ABORTED || stopped) {
              controller.close();
              return;
            }
            const batch = parse(chunk === undefined ? framer.flush() : framer.push(chunk));
            if (batch.length > 0) controller.enqueue(batch);
            if (chunk === undefined) {
              // read() without a timeout gives undefined only at the end of input.
              controller.close();
              return;
            }
            if (batch.length > 0) return;
          }
        },
        cancel() {
          stopped = true;
        },
      },
      { highWaterMark: 0 },
    );
  },
};
