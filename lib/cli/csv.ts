/**
 * CSV → readings, for `atomscale-stream stream --file`. The first non-blank row is a header naming the
 * columns (`name` or `name[units]`); a column named `time`, `timestamp` or `t` (any case, without units
 * or with `[s]`) holds each row's time — Unix epoch seconds, or an ISO 8601 date-time — else a row is stamped when it is read. Every
 * other column is a channel; an empty cell is no reading. Fields are separated by commas, semicolons or
 * tabs — whichever the header holds most of (outside quotes); in a file separated by semicolons or tabs a
 * decimal comma (`12,5`) is read as a decimal point, as spreadsheets in much of Europe write it. Double
 * quotes work as in RFC 4180 within a line. A first row of numbers is refused (a header is needed, and
 * numbers are not channel names). A row that does not parse is reported (`bad-line`) and skipped.
 */
import { open } from "node:fs/promises";
import type { DriverProblem, TimedBytes } from "../serial/driver.js";
import { LineFramer, type TimedLine } from "../serial/framing.js";
import { parseDecimal } from "../serial/instruments/polled.js";
import { MAX_CHANNEL_NAME, MAX_EPOCH_SECONDS } from "../input.js";
import type { Reading } from "../types.js";

export const TIME_COLUMNS = ["time", "timestamp", "t"] as const;

export interface CsvOptions {
  /** Only these columns (default: all but the time column). */
  columns?: readonly string[] | undefined;
  /** Units by column name (they win over a header's `[units]`). */
  units?: Readonly<Record<string, string>> | undefined;
  /** Told of every row skipped. */
  onProblem?: ((problem: DriverProblem) => void) | undefined;
}

interface Column {
  name: string;
  units: string | undefined;
  index: number;
}

/** A header error: the file cannot be read as CSV at all. */
export class CsvHeaderError extends Error {
  override readonly name = "CsvHeaderError";
}

/** Split one CSV line into fields; undefined when its quotes do not close. */
export function splitCsvLine(line: string, delimiter: string): string[] | undefined {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  let atStart = true;
  while (i < line.length) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && atStart) {
      quoted = true;
      atStart = false;
      i++;
      continue;
    }
    if (c === delimiter) {
      fields.push(field.trim());
      field = "";
      atStart = true;
      i++;
      continue;
    }
    if (atStart && (c === " " || c === "\t") && c !== delimiter) {
      i++;
      continue;
    }
    atStart = false;
    field += c;
    i++;
  }
  if (quoted) return undefined;
  fields.push(field.trim());
  return fields;
}

/** The delimiter a header uses: `,`, `;` or a tab, whichever occurs most outside quotes (`,` when none does). */
export function detectDelimiter(header: string): string {
  const counts = new Map<string, number>([[",", 0], [";", 0], ["\t", 0]]);
  let quoted = false;
  for (const c of header) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && counts.has(c)) counts.set(c, counts.get(c)! + 1);
  }
  // On a tie ";" and tabs win: the commas are then decimal commas.
  let best = ",";
  for (const d of [";", "\t"]) if (counts.get(d)! > 0 && counts.get(d)! >= counts.get(best)!) best = d;
  return best;
}

/** A number cell: `12.5`, `1e-7`; with `decimalComma`, also `12,5` and `1,5e-7`. */
export function parseNumberCell(text: string, decimalComma: boolean): number | undefined {
  const plain = parseDecimal(text);
  if (plain !== undefined || !decimalComma) return plain;
  const s = text.trim();
  return /^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$/.test(s) ? parseDecimal(s.replace(",", ".")) : undefined;
}

/** Epoch seconds from a time cell: a number of seconds, or an ISO 8601 date-time. */
export function parseTimeCell(text: string, decimalComma = false): number | { problem: string } {
  const seconds = parseNumberCell(text, decimalComma);
  if (seconds !== undefined) {
    if (Math.abs(seconds) >= MAX_EPOCH_SECONDS) {
      return { problem: `time ${text} looks like milliseconds: the time column holds Unix epoch seconds (e.g. ${(seconds / 1000).toFixed(3)})` };
    }
    return seconds;
  }
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text)) {
    const ms = Date.parse(text.replace(" ", "T"));
    if (Number.isFinite(ms)) return ms / 1000;
  }
  return { problem: `time ${JSON.stringify(text)} is neither Unix epoch seconds nor an ISO 8601 date-time` };
}

/** Parses CSV lines one by one: the header first, then rows. */
export class CsvParser {
  #columns: Column[] | undefined;
  #time = -1;
  #width = 0;
  #delimiter = ",";
  readonly #options: CsvOptions;

  constructor(options: CsvOptions = {}) {
    this.#options = options;
  }

  /** The channel columns, once the header is read. */
  get columns(): readonly Column[] | undefined {
    return this.#columns;
  }

  /** The time column's name, if there is one. */
  get timeColumn(): number {
    return this.#time;
  }

  /** Readings of one line (none for the header and blank lines); a bad row is reported and gives none. */
  line(line: TimedLine): Reading[] {
    const text = this.#columns === undefined ? line.text.replace(/^\uFEFF/, "") : line.text;
    if (text.trim() === "") return [];
    if (this.#columns === undefined) {
      this.#header(text);
      return [];
    }
    const bad = (reason: string) => {
      this.#options.onProblem?.({ kind: "bad-line", message: `Skipped a row: ${reason}.`, raw: line.text, t: line.t });
      return [];
    };
    const fields = splitCsvLine(text, this.#delimiter);
    if (fields === undefined) return bad("a quote does not close");
    if (fields.length !== this.#width) {
      const hint =
        this.#delimiter === "," && fields.length > this.#width && /\d,\d/.test(text)
          ? ' (decimal commas? In a file whose fields are separated by ",", write 12.5; or separate the fields by ";" and keep 12,5)'
          : "";
      return bad(`${fields.length} field(s) where the header has ${this.#width}${hint}`);
    }
    const decimalComma = this.#delimiter !== ",";
    let t = line.t;
    if (this.#time >= 0) {
      const parsed = parseTimeCell(fields[this.#time]!, decimalComma);
      if (typeof parsed !== "number") return bad(parsed.problem);
      t = parsed;
    }
    const readings: Reading[] = [];
    for (const column of this.#columns) {
      const cell = fields[column.index]!;
      if (cell === "") continue;
      const value = parseNumberCell(cell, decimalComma);
      if (value === undefined) {
        const hint = !decimalComma && /^[+-]?\d*,\d+$/.test(cell) ? ' (a decimal comma: write 12.5, or separate the fields by ";")' : "";
        return bad(`${column.name}: ${JSON.stringify(cell)} is not a number${hint}`);
      }
      readings.push({ channel: column.name, t, value, units: column.units });
    }
    return readings;
  }

  #header(text: string): void {
    this.#delimiter = detectDelimiter(text);
    const names = splitCsvLine(text, this.#delimiter);
    if (!names) throw new CsvHeaderError(`the CSV header's quotes do not close: ${text}`);
    const filled = names.filter((n) => n !== "");
    if (filled.length > 0 && filled.every((n) => parseNumberCell(n, true) !== undefined || typeof parseTimeCell(n) === "number")) {
      const shown = names.slice(0, 3).join(this.#delimiter);
      throw new CsvHeaderError(
        `the first row (${shown}${names.length > 3 ? this.#delimiter + "…" : ""}) holds numbers, not column names: the file needs a header row naming the columns, e.g. time,temperature[C],pressure[mbar]`,
      );
    }
    this.#width = names.length;
    const units = this.#options.units ?? {};
    const wanted = this.#options.columns;
    const seen = new Set<string>();
    const columns: Column[] = [];
    names.forEach((raw, index) => {
      const m = /^(.+?)\s*\[(.*)\]$/.exec(raw);
      const name = (m ? m[1]! : raw).trim();
      if (name === "") throw new CsvHeaderError(`column ${index + 1} of the CSV header has no name: ${text}`);
      if (seen.has(name)) throw new CsvHeaderError(`the CSV header names ${JSON.stringify(name)} twice`);
      if ([...name].length > MAX_CHANNEL_NAME) throw new CsvHeaderError(`the CSV column name ${JSON.stringify(name.slice(0, 40))}… is longer than ${MAX_CHANNEL_NAME} characters`);
      seen.add(name);
      // A column with units other than seconds is a channel ("T[°C]" is a temperature, not the time).
      const timeUnits = m?.[2] === undefined || m[2] === "" || m[2] === "s";
      if (this.#time < 0 && timeUnits && (TIME_COLUMNS as readonly string[]).includes(name.toLowerCase())) {
        this.#time = index;
        return;
      }
      if (wanted && !wanted.includes(name)) return;
      columns.push({ name, units: units[name] ?? (m?.[2] || undefined), index });
    });
    if (wanted) {
      const missing = wanted.filter((w) => !seen.has(w));
      if (missing.length > 0) throw new CsvHeaderError(`the CSV header has no column ${missing.map((c) => JSON.stringify(c)).join(", ")} (it has ${names.join(", ")})`);
    }
    if (columns.length === 0) throw new CsvHeaderError(`the CSV header names no value column: ${text}`);
    this.#columns = columns;
  }
}

/** Readings from CSV bytes, a batch per chunk of input, until the input ends or `signal` aborts. */
export function csvReadings(source: ReadableStream<TimedBytes>, options: CsvOptions & { signal?: AbortSignal | undefined } = {}): ReadableStream<Reading[]> {
  const reader = source.getReader();
  const framer = new LineFramer({ onProblem: options.onProblem, maxLineBytes: 1 << 20 });
  const parser = new CsvParser(options);
  const stopped = new Promise<"stopped">((resolve) => {
    if (options.signal?.aborted) resolve("stopped");
    else options.signal?.addEventListener("abort", () => resolve("stopped"), { once: true });
  });
  return new ReadableStream<Reading[]>(
    {
      async pull(controller) {
        for (;;) {
          const next = await Promise.race([reader.read(), stopped]);
          if (next === "stopped") {
            controller.close();
            return;
          }
          const lines = next.done ? framer.flush() : framer.push(next.value);
          const batch: Reading[] = [];
          for (const line of lines) batch.push(...parser.line(line));
          if (next.done && parser.columns === undefined) throw new CsvHeaderError("the file is empty: a CSV header row naming the columns is needed");
          if (batch.length > 0) controller.enqueue(batch);
          if (next.done) {
            controller.close();
            return;
          }
          if (batch.length > 0) return;
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Check a CSV file's header before anything is streamed (so a wrong file leaves no empty stream on the
 * platform). Throws a `CsvHeaderError` naming the problem.
 */
export async function checkCsvHeader(path: string, options: CsvOptions = {}): Promise<void> {
  const handle = await open(path, "r");
  let text: string;
  try {
    const buffer = new Uint8Array(1 << 16);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    text = new TextDecoder().decode(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
  const header = text.split(/\r?\n/).find((line) => line.replace(/^\uFEFF/, "").trim() !== "");
  if (header === undefined) throw new CsvHeaderError("the file is empty: a CSV header row naming the columns is needed");
  new CsvParser(options).line({ text: header, t: 0 });
}
