/**
 * The live charts: one card per channel (readout, legend, chart), pause/resume and a time window
 * (1 min / 10 min / 1 h / all). Data keeps arriving while paused; only the drawing stops.
 *
 * A chart can be hidden (and shown again); the channels of a removed instrument lose their charts and
 * are left out of the platform's read-back until an instrument on the page sends them again. The time
 * window, each channel's log-scale choice and both lists survive a reload (chart-prefs.ts).
 */
import "uplot/dist/uPlot.min.css";
import type { Reading, Timeseries } from "atomscale-stream";
import { ChannelChart, trim } from "./channel-chart.ts";
import { defaultChartPrefs, type ChartPrefs } from "./chart-prefs.ts";
import { h, option } from "./dom.ts";

export const TIME_WINDOWS: Record<string, number> = { "1 min": 60, "10 min": 600, "1 h": 3600, all: Infinity };
const DRAW_EVERY_MS = 250;
const EMPTY_TEXT = "Connect an instrument (or a simulated one): its channels appear here.";

export class ChartPanel {
  readonly element: HTMLElement;
  readonly #grid: HTMLElement;
  readonly #empty: HTMLElement;
  readonly #pause: HTMLButtonElement;
  readonly #window: HTMLSelectElement;
  readonly #shelf: HTMLElement;
  readonly #channels = new Map<string, ChannelChart>();
  readonly #prefs: ChartPrefs;
  readonly #hidden: Set<string>;
  readonly #removed: Set<string>;
  readonly #onPrefs: (prefs: ChartPrefs) => void;
  /** The channels of the platform's last read-back (undefined: none yet for this stream). */
  #serverChannels: string[] | undefined;
  #paused = false;
  #pausedAt = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #dirty = false;

  /** `prefs`: as saved (loadChartPrefs); `onPrefs` is called with every change, to save them. */
  constructor(prefs: ChartPrefs = defaultChartPrefs(), onPrefs: (prefs: ChartPrefs) => void = () => {}) {
    this.#prefs = { ...prefs, log: Object.assign(Object.create(null) as Record<string, boolean>, prefs.log) };
    this.#hidden = new Set(prefs.hidden);
    this.#removed = new Set(prefs.removed);
    this.#onPrefs = onPrefs;
    this.#pause = h("button", { type: "button", className: "secondary", "aria-pressed": "false", onclick: () => this.setPaused(!this.#paused) }, "Pause");
    this.#window = h(
      "select",
      {
        name: "time-window",
        onchange: () => {
          this.#savePrefs();
          this.#drawAll();
        },
      },
      ...Object.keys(TIME_WINDOWS).map((k) => option(k)),
    );
    this.#window.value = prefs.timeWindow in TIME_WINDOWS ? prefs.timeWindow : "10 min";
    this.#empty = h("p", { className: "hint" }, EMPTY_TEXT);
    this.#shelf = h("p", { className: "hint hidden-charts", role: "group", "aria-label": "Hidden charts", hidden: true });
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
      this.#shelf,
      this.#empty,
      this.#grid,
    );
    this.#layout();
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
    this.#savePrefs();
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

  /** What the page remembers of the charts (as saved). */
  get prefs(): ChartPrefs {
    return { timeWindow: this.#window.value, log: { ...this.#prefs.log }, hidden: [...this.#hidden], removed: [...this.#removed] };
  }

  add(readings: readonly Reading[]): void {
    let revived = false;
    for (const r of readings) {
      // An instrument on the page sends a removed channel again (a new card with the same names).
      if (this.#removed.delete(r.channel)) revived = true;
      const c = this.#channel(r.channel, r.units);
      c.local.t.push(r.t);
      c.local.v.push(r.value);
      trim(c.local);
    }
    if (revived) this.#savePrefs();
    this.#dirty = true;
  }

  /** The platform's read-back (the last points of each channel); removed channels are left out. */
  setServer(ts: Timeseries): void {
    this.#serverChannels = Object.keys(ts.properties);
    for (const [name, p] of Object.entries(ts.properties)) {
      if (this.#removed.has(name)) continue;
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

  /** Forget the platform's read-back (a new stream); the removed channels belonged to the old one. */
  clearServer(): void {
    for (const c of this.#channels.values()) c.server = { t: [], v: [] };
    this.#serverChannels = undefined;
    if (this.#removed.size > 0) {
      this.#removed.clear();
      this.#savePrefs();
    }
    this.#dirty = true;
  }

  /**
   * The instrument that sent these channels left the page: their charts go, with their data, and the
   * read-back leaves them out until an instrument sends them again.
   */
  removeChannels(names: readonly string[]): void {
    for (const name of names) {
      this.#channels.get(name)?.destroy();
      this.#channels.delete(name);
      this.#hidden.delete(name);
      this.#removed.add(name);
    }
    this.#savePrefs();
    this.#layout();
  }

  /** Hide a chart (its data is still kept and read back) or show it again. */
  setHidden(name: string, hidden: boolean): void {
    if (hidden) this.#hidden.add(name);
    else this.#hidden.delete(name);
    const c = this.#channels.get(name);
    if (c) c.hidden = hidden;
    this.#savePrefs();
    this.#layout();
    if (!hidden) this.#drawAll();
  }

  /**
   * Whether the platform's read-back is worth polling: not when every channel it returned last is hidden
   * or removed and no chart is shown (the requests stop; a chart shown again starts them).
   */
  readBackWanted(): boolean {
    for (const c of this.#channels.values()) if (!c.hidden) return true;
    if (this.#serverChannels === undefined) return true;
    return this.#serverChannels.some((n) => !this.#removed.has(n) && !this.#hidden.has(n));
  }

  #channel(name: string, units: string | undefined): ChannelChart {
    let c = this.#channels.get(name);
    if (!c) {
      c = new ChannelChart(name, units, {
        log: this.#prefs.log[name],
        onLog: (on) => {
          this.#prefs.log[name] = on;
          this.#savePrefs();
        },
        onHide: () => this.setHidden(name, true),
      });
      c.hidden = this.#hidden.has(name);
      this.#channels.set(name, c);
      this.#grid.append(c.box);
      this.#layout();
    }
    c.setUnits(units);
    return c;
  }

  /** The empty-page hint and the list of hidden charts, each with its Show button. */
  #layout(): void {
    const shown = [...this.#channels.values()].filter((c) => !c.hidden).length;
    this.#empty.hidden = shown > 0;
    this.#empty.textContent = this.#channels.size > 0 ? "Every chart is hidden: show one with the buttons above." : EMPTY_TEXT;
    const names = [...this.#hidden].sort();
    this.#shelf.hidden = names.length === 0;
    this.#shelf.replaceChildren(
      "Hidden: ",
      ...names.flatMap((name, i) => [
        i > 0 ? " " : "",
        h("button", { type: "button", className: "secondary small", onclick: () => this.setHidden(name, false) }, `Show ${name}`),
      ]),
    );
  }

  #savePrefs(): void {
    this.#onPrefs(this.prefs);
  }

  #tick(): void {
    const now = Date.now() / 1000;
    for (const c of this.#channels.values()) if (!c.hidden) c.updateReadout(now);
    if (this.#dirty && !this.#paused) this.#drawAll();
  }

  #drawAll(): void {
    this.#dirty = false;
    const span = TIME_WINDOWS[this.#window.value] ?? Infinity;
    const to = this.#paused ? this.#pausedAt : Date.now() / 1000;
    const shown = [...this.#channels.values()].filter((c) => !c.hidden);
    // A window longer than what was read so far starts at the first reading (short runs fill the chart);
    // every chart shares one time axis.
    let first = Infinity;
    for (const c of shown) first = Math.min(first, c.local.t[0] ?? Infinity, c.server.t[0] ?? Infinity);
    const from = Number.isFinite(span) ? Math.min(Math.max(to - span, first), to - 1) : -Infinity;
    for (const c of shown) c.draw(from, to);
  }
}
