/**
 * The raw input of one instrument, for debugging a new one: the last lines (or replies) as received, with
 * their receipt times, what the page sent, and the problems the driver reported — a ring buffer.
 */
import type { DriverProblem, TimedBytes } from "atomscale-stream/serial";
import { LineFramer } from "atomscale-stream/serial";
import { clock, h } from "./dom.ts";

export interface RawEntry {
  /** Receipt (or send) time, Unix seconds. */
  t: number;
  kind: "in" | "out" | "problem";
  text: string;
}

/** Control characters made visible; a frame that is mostly binary is shown as hex. */
export function visibleText(bytes: Uint8Array | string): string {
  const text = typeof bytes === "string" ? bytes : new TextDecoder().decode(bytes);
  let control = 0;
  for (const ch of text) if (ch < " " && ch !== "\t") control++;
  if (typeof bytes !== "string" && text.length > 0 && control / text.length > 0.3) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
  }
  const names: Record<string, string> = { "\x05": "<ENQ>", "\x06": "<ACK>", "\x15": "<NAK>", "\r": "<CR>", "\n": "<LF>", "\x02": "<STX>", "\x03": "<ETX>", "\x04": "<EOT>" };
  return text.replace(/[\x00-\x08\x0a-\x1f]/g, (c) => names[c] ?? `<0x${c.charCodeAt(0).toString(16).padStart(2, "0")}>`);
}

export class RawLog {
  readonly limit: number;
  readonly #entries: RawEntry[] = [];
  readonly #framer = new LineFramer({ cr: true, maxLineBytes: 1024 });
  #version = 0;

  constructor(limit = 300) {
    this.limit = limit;
  }

  /** Increases with every change (for lazy rendering). */
  get version(): number {
    return this.#version;
  }

  entries(): readonly RawEntry[] {
    return this.#entries;
  }

  received(chunk: TimedBytes): void {
    for (const line of this.#framer.push(chunk)) this.#add({ t: line.t, kind: "in", text: visibleText(line.text) });
  }

  sent(bytes: Uint8Array, t: number): void {
    this.#add({ t, kind: "out", text: visibleText(new TextDecoder().decode(bytes).replace(/[\r\n]+$/, "")) });
  }

  problem(p: DriverProblem): void {
    this.#add({ t: p.t, kind: "problem", text: `${p.kind}: ${p.message}${p.raw !== undefined ? ` — ${JSON.stringify(p.raw)}` : ""}` });
  }

  /** A connection event (unplugged, BreakError …), shown as a problem line. */
  note(t: number, text: string): void {
    this.#add({ t, kind: "problem", text });
  }

  #add(entry: RawEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.limit) this.#entries.splice(0, this.#entries.length - this.limit);
    this.#version++;
  }
}

/** A TransformStream that passes bytes through untouched and shows them to the raw log. */
export function rawTap(log: RawLog): TransformStream<TimedBytes, TimedBytes> {
  return new TransformStream({
    transform(chunk, controller) {
      try {
        log.received(chunk);
      } catch {
        // the raw view is for people; it never stops the data
      }
      controller.enqueue(chunk);
    },
  });
}

/** The raw log as a collapsible list, drawn only while it is open and only when something changed. */
export class RawView {
  readonly element: HTMLDetailsElement;
  readonly #log: RawLog;
  readonly #list: HTMLElement;
  #shown = -1;

  constructor(log: RawLog, label: string) {
    this.#log = log;
    this.#list = h("ol", { className: "raw", "aria-label": label });
    this.element = h("details", { className: "raw-box", ontoggle: () => this.render() }, h("summary", {}, `Raw input (last ${log.limit} lines, with receipt times and problems)`), this.#list);
  }

  render(): void {
    if (!this.element.open || this.#shown === this.#log.version) return;
    this.#shown = this.#log.version;
    this.#list.replaceChildren(
      ...this.#log.entries().map((e) => h("li", { className: e.kind }, h("time", {}, clock(e.t)), ` ${e.kind === "in" ? "←" : e.kind === "out" ? "→" : "⚠"} `, e.text)),
    );
  }
}
