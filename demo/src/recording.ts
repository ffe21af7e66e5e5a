/**
 * The current stream, as this page records it: every source's readings go through one writer into one
 * stream, and each batch the stream accepted (durable in the outbox) is kept here for the CSV download.
 * A batch the stream refused is counted and reported, never silently dropped.
 */
import type { Reading } from "atomscale-stream";

export interface RecordedReading extends Reading {
  source: string;
}

export class Recording {
  readonly dataId: string;
  readonly #writer: WritableStreamDefaultWriter<Reading[]>;
  readonly #rows: RecordedReading[] = [];
  readonly #onRefused: (error: unknown, points: number) => void;
  #refused = 0;
  #closed = false;

  constructor(dataId: string, writer: WritableStreamDefaultWriter<Reading[]>, onRefused: (error: unknown, points: number) => void, earlier: RecordedReading[] = []) {
    this.dataId = dataId;
    this.#writer = writer;
    this.#onRefused = onRefused;
    this.#rows.push(...earlier);
  }

  /** Points the stream did not accept (reported through onRefused). */
  get refusedPoints(): number {
    return this.#refused;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Write one source's batch; resolves once the stream holds it durably (or it was refused and reported). */
  async write(source: string, readings: Reading[]): Promise<void> {
    if (this.#closed) throw new Error(`The recording of stream ${this.dataId} is stopped.`);
    try {
      await this.#writer.write(readings);
    } catch (error) {
      this.#refused += readings.length;
      this.#onRefused(error, readings.length);
      return;
    }
    for (const r of readings) this.#rows.push({ source, channel: r.channel, t: r.t, value: r.value, units: r.units });
  }

  rows(): readonly RecordedReading[] {
    return this.#rows;
  }

  /** Seal the stream's open chunks into the outbox (before finalize). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writer.close();
  }
}

/** The CSV of what was recorded: one row per reading, in the order they were accepted. */
export function toCsv(rows: readonly RecordedReading[]): string {
  const lines = ["unix_seconds,time_utc,source,channel,value,units"];
  for (const r of rows) {
    lines.push([String(r.t), new Date(r.t * 1000).toISOString(), csvField(r.source), csvField(r.channel), String(r.value), csvField(r.units ?? "")].join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Parse what toCsv wrote (for tests and for anyone checking a download). */
export function parseCsv(text: string): Array<Record<string, string>> {
  const records: string[][] = [];
  let row: string[] = [];
  let fieldText = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        fieldText += '"';
        i++;
      } else if (c === '"') quoted = false;
      else fieldText += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(fieldText);
      fieldText = "";
    } else if (c === "\n" || (c === "\r" && text[i + 1] === "\n")) {
      if (c === "\r") i++;
      row.push(fieldText);
      records.push(row);
      row = [];
      fieldText = "";
    } else fieldText += c;
  }
  if (fieldText !== "" || row.length > 0) records.push([...row, fieldText]);
  const [header, ...body] = records;
  return body.map((cells) => Object.fromEntries((header ?? []).map((h, i) => [h, cells[i] ?? ""])));
}
