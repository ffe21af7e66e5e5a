/**
 * The live charts: one card per channel (readout, legend, chart), pause/resume and a time window
 * (1 min / 10 min / 1 h / all). Data keeps arriving while paused; only the drawing stops.
 */
import "uplot/dist/uPlot.min.css";
import type { Reading, Timeseries } from "atomscale-stream";
import { ChannelChart, trim } from "./channel-chart.ts";
import { h, option } from "./dom.ts";

export const TIME_WINDOWS: Record<string, number> = { "1 min": 60, "10 min": 600, "1 h": 3600, all: Infinity };
const DRAW_EVERY_MS = 250;

export class ChartPanel {
  readonly element: HTMLElement;
  readonly #grid: HTMLElement;
  readonly #empty: HTMLElement;
  readonly #pause: HTMLButtonElement;
  readonly #window: HTMLSelectElement;
  readonly #channels = new Map<string, ChannelChart>();
  #paused = false;
  #pausedAt = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #dirty = false;

  constructor() {
    this.#pause = h("button", { type: "button", className: "secondary", "aria-pressed": "false", onclick: () => this.setPaused(!this.#paused) }, "Pause");
    this.#window = h("select", { name: "time-window", onchange: () => this.#drawAll() }, ...Object.keys(TIME_WINDOWS).map((k) => option(k)));
    this.#window.value = "10 min";
    this.#empty = h("p", { className: "hint" }, "Connect an instrument (or a simulated one): its channels appear here.");
    this.#grid = h("div", { className: "charts", role: "group", "aria-label": "Live charts" });
    this.element = h(
      "section",
      { className: "chart-panel", "aria-labelledby": "chart-title" },
      h(
        "div",
        { className: "panel-head" },
        h("h2", { id: "chart-title" }, "Live readings"),
        h("div", { className: "toolbar" }, h("label", { className: "inline" }, "Time window ", this.#window), this.#pause),
      ),
      this.#empty,
      this.#grid,
    );
  }

  start(): void {
    this.#timer ??= setInterval(() => this.#tick(), DRAW_EVERY_MS);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  get paused(): boolean {
    return this.#paused;
  }

  setPaused(paused: boolean): void {
    this.#paused = paused;
    this.#pausedAt = Date.now() / 1000;
    this.#pause.textContent = paused ? "Resume" : "Pause";
    this.#pause.setAttribute("aria-pressed", String(paused));
    if (!paused) this.#drawAll();
  }

  setTimeWindow(label: string): void {
    if (!(label in TIME_WINDOWS)) throw new Error(`Time window must be one of ${Object.keys(TIME_WINDOWS).join(", ")}, not ${JSON.stringify(label)}.`);
    this.#window.value = label;
    this.#drawAll();
  }

  /** Points per channel held (instrument, platform): for tests and the status line. */
  counts(): Record<string, { local: number; server: number }> {
    const out: Record<string, { local: number; server: number }> = {};
    for (const [name, c] of this.#channels) out[name] = { local: c.local.t.length, server: c.server.t.length };
    return out;
  }

  channel(name: string): ChannelChart | undefined {
    return this.#channels.get(name);
  }

  add(readings: readonly Reading[]): void {
    for (const r of readings) {
      const c = this.#channel(r.channel, r.units);
      c.local.t.push(r.t);
      c.local.v.push(r.value);
      trim(c.local);
    }
    this.#dirty = true;
  }

  /** The platform's read-back (the last points of each channel). */
  setServer(ts: Timeseries): void {
    for (const [name, p] of Object.entries(ts.properties)) {
      const c = this.#channel(name, p.units ?? undefined);
      const t: number[] = [];
      const v: number[] = [];
      p.unixTimestampMs.forEach((ms, i) => {
        const value = p.values[i];
        if (ms != null && value != null) {
          t.push(ms / 1000);
          v.push(value);
        }
      });
      c.server = { t, v };
    }
    this.#dirty = true;
  }

  /** Forget the platform's read-back (a new stream). */
  clearServer(): void {
    for (const c of this.#channels.values()) c.server = { t: [], v: [] };
    this.#dirty = true;
  }

  #channel(name: string, units: string | undefined): ChannelChart {
    let c = this.#channels.get(name);
    if (!c) {
      c = new ChannelChart(name, units);
      this.#channels.set(name, c);
      this.#grid.append(c.box);
      this.#empty.hidden = true;
    }
    c.setUnits(units);
    return c;
  }

  #tick(): void {
    const now = Date.now() / 1000;
    for (const c of this.#channels.values()) c.updateReadout(now);
    if (this.#dirty && !this.#paused) this.#drawAll();
  }

  #drawAll(): void {
    this.#dirty = false;
    const span = TIME_WINDOWS[this.#window.value] ?? Infinity;
    const to = this.#paused ? this.#pausedAt : Date.now() / 1000;
    // A window longer than what was read so far starts at the first reading (short runs fill the chart);
    // every chart shares one time axis.
    let first = Infinity;
    for (const c of this.#channels.values()) first = Math.min(first, c.local.t[0] ?? Infinity, c.server.t[0] ?? Infinity);
    const from = Number.isFinite(span) ? Math.min(Math.max(to - span, first), to - 1) : -Infinity;
    for (const c of this.#channels.values()) c.draw(from, to);
  }
}
