/**
 * The current stream, as this page records it: every source's readings go through one writer into one
 * stream, and each batch the stream accepted (every reading of it durable in the outbox when write()
 * resolved) is copied to the page's record store for the CSV download. A batch the stream refused is counted and reported, never silently dropped.
 */
import type { Reading } from "atomscale-stream";
import type { RecordStore } from "./record-store.ts";

export interface RecordedReading extends Reading {
  source: string;
}

export interface RecordingEvents {
  /** The stream did not take a batch (e.g. storage full): the readings are not recorded. */
  refused(error: unknown, points: number): void;
  /** A batch is in the stream but could not be copied for the CSV. */
  notCopied(error: unknown, points: number): void;
}

export class Recording {
  readonly dataId: string;
  readonly #writer: WritableStreamDefaultWriter<Reading[]>;
  readonly #store: RecordStore;
  readonly #events: RecordingEvents;
  /** The copies for the CSV, in order. */
  #copied: Promise<void> = Promise.resolve();
  #count: number;
  #refused = 0;
  #closed = false;

  constructor(dataId: string, writer: WritableStreamDefaultWriter<Reading[]>, store: RecordStore, events: RecordingEvents, earlierCount = 0) {
    this.dataId = dataId;
    this.#writer = writer;
    this.#store = store;
    this.#events = events;
    this.#count = earlierCount;
  }

  /** Readings recorded (accepted by the stream), this page load and before. */
  get count(): number {
    return this.#count;
  }

  /** Points the stream did not accept (reported through `refused`). */
  get refusedPoints(): number {
    return this.#refused;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Write one source's batch; resolves once the stream has taken it (or it was refused and reported). */
  async write(source: string, readings: Reading[]): Promise<void> {
    if (this.#closed) throw new Error(`The recording of stream ${this.dataId} is stopped.`);
    try {
      await this.#writer.write(readings);
    } catch (error) {
      this.#refused += readings.length;
      this.#events.refused(error, readings.length);
      return;
    }
    this.#count += readings.length;
    const rows = readings.map((r) => ({ source, channel: r.channel, t: r.t, value: r.value, units: r.units }));
    this.#copied = this.#copied.then(() => this.#store.append(this.dataId, rows)).catch((error: unknown) => this.#events.notCopied(error, rows.length));
  }

  /** Everything recorded so far, once the copies are stored. */
  async rows(): Promise<RecordedReading[]> {
    await this.#copied;
    return this.#store.rows(this.dataId);
  }

  /** Seal the stream's open chunks into the outbox (before finalize). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writer.close();
    await this.#copied;
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
