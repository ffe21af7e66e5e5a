/**
 * One channel's chart: a big latest-value readout (value, units, age), a legend that shows the current
 * instrument and platform values without hovering, and a uPlot chart that follows its box's width
 * (ResizeObserver). Pressure units get a log axis (vacuum spans decades); any channel can be switched.
 */
import uPlot from "uplot";
import { h } from "./dom.ts";

/** Points kept per series (1 h at 5 readings a second, twice over). */
export const KEEP = 36_000;
const HEIGHT = 200;
/** Instrument: solid blue. Platform read-back: orange, dashed, with points — distinct in colour and style. */
export const INSTRUMENT_STYLE = { stroke: "#0b57d0", width: 2 } as const;
export const PLATFORM_STYLE = { stroke: "#d9480f", width: 2, dash: [6, 4] as number[] };

export interface Series {
  t: number[];
  v: number[];
}

/** Units whose values span decades: a log axis by default. */
export function isPressureUnit(units: string | undefined): boolean {
  return units !== undefined && /^(m?bar|torr|m?torr|[hk]?pa|psi)$/i.test(units.trim());
}

/** Axis numbers that stay readable from 1e-9 mbar to 1e5 °C. */
export function formatTick(v: number | null): string {
  if (v == null) return "";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e6 ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}

/** A readout value: 5 significant digits, scientific for the very small and very large. */
export function formatValue(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return "—";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e6 ? v.toExponential(3) : String(Number(v.toPrecision(6)));
}

export function formatAgeSeconds(seconds: number): string {
  if (!(seconds >= 0)) return "";
  if (seconds < 1) return "now";
  if (seconds < 60) return `${Math.floor(seconds)} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

/** First index whose time is ≥ t (the series is in time order). */
function lowerBound(t: number[], from: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function trim(s: Series, keep = KEEP): void {
  if (s.t.length > keep) {
    s.t.splice(0, s.t.length - keep);
    s.v.splice(0, s.v.length - keep);
  }
}

export interface ChannelChartOptions {
  /** The user's log-scale choice (undefined: log for pressure units). */
  log?: boolean | undefined;
  /** The user ticked or unticked "log scale". */
  onLog?: (on: boolean) => void;
  /** The user pressed "Hide". */
  onHide?: () => void;
}

export class ChannelChart {
  readonly name: string;
  readonly box: HTMLElement;
  units: string | undefined;
  readonly local: Series = { t: [], v: [] };
  server: Series = { t: [], v: [] };
  #plot: uPlot | undefined;
  #log: boolean | undefined;
  /** The chart was built for a fixed time window (not "all"). */
  #windowed = false;
  readonly #plotBox: HTMLElement;
  readonly #title: HTMLElement;
  readonly #value: HTMLElement;
  readonly #unitsEl: HTMLElement;
  readonly #age: HTMLElement;
  readonly #legendLocal: HTMLElement;
  readonly #legendServer: HTMLElement;
  readonly #logBox: HTMLInputElement;
  readonly #resize: ResizeObserver | undefined;
  readonly #onLog: ((on: boolean) => void) | undefined;

  constructor(name: string, units: string | undefined, options: ChannelChartOptions = {}) {
    this.name = name;
    this.units = units;
    this.#log = options.log;
    this.#onLog = options.onLog;
    this.#title = h("h3", { className: "channel-name" });
    this.#value = h("span", { className: "value" }, "—");
    this.#unitsEl = h("span", { className: "units" });
    this.#age = h("span", { className: "age" });
    this.#legendLocal = h("span", { className: "legend-value" }, "—");
    this.#legendServer = h("span", { className: "legend-value" }, "—");
    this.#logBox = h("input", {
      type: "checkbox",
      onchange: () => {
        this.#setLog(this.#logBox.checked);
        this.#onLog?.(this.#logBox.checked);
      },
    });
    const hide = h("button", { type: "button", className: "secondary small", "aria-label": `Hide ${name}`, title: "Hide this chart (Show brings it back)", onclick: () => options.onHide?.() }, "Hide");
    this.#plotBox = h("div", { className: "plot" });
    this.box = h(
      "figure",
      { className: "channel", dataset: { channel: name } },
      h("div", { className: "channel-head" }, this.#title, h("span", { className: "channel-tools" }, h("label", { className: "check log" }, this.#logBox, "log scale"), hide)),
      h("p", { className: "readout", "aria-label": `Latest ${name}` }, this.#value, " ", this.#unitsEl, " ", this.#age),
      h(
        "p",
        { className: "legend", "aria-label": `Legend of ${name}` },
        h("span", { className: "swatch instrument" }),
        " instrument ",
        this.#legendLocal,
        "  ",
        h("span", { className: "swatch platform" }),
        " platform ",
        this.#legendServer,
      ),
      this.#plotBox,
    );
    this.#resize =
      typeof ResizeObserver === "function"
        ? new ResizeObserver(() => {
            const width = this.#width();
            if (this.#plot && width > 0 && Math.abs(this.#plot.width - width) >= 1) this.#plot.setSize({ width, height: HEIGHT });
          })
        : undefined;
    this.#resize?.observe(this.#plotBox);
    this.#label();
  }

  setUnits(units: string | undefined): void {
    if (units && !this.units) {
      this.units = units;
      this.#label();
    }
  }

  /** Hidden by the user: not drawn (its data is still kept). */
  get hidden(): boolean {
    return this.box.hidden;
  }

  set hidden(hidden: boolean) {
    this.box.hidden = hidden;
  }

  /** True when the y axis is logarithmic. */
  get logScale(): boolean {
    return this.#log ?? isPressureUnit(this.units);
  }

  /** The drawn chart's width and its y scale distribution (3 = log), for tests. */
  get plotInfo(): { width: number; distr: number | undefined } | undefined {
    return this.#plot ? { width: this.#plot.width, distr: this.#plot.scales.y?.distr } : undefined;
  }

  #label(): void {
    this.#title.textContent = this.units ? `${this.name} (${this.units})` : this.name;
    this.#unitsEl.textContent = this.units ?? "";
    this.#logBox.checked = this.logScale;
  }

  #setLog(on: boolean): void {
    this.#log = on;
    this.#plot?.destroy();
    this.#plot = undefined;
    this.#logBox.checked = on;
  }

  #width(): number {
    return Math.floor(this.#plotBox.clientWidth);
  }

  /** Update the readout and legend (also between data, so the age moves). */
  updateReadout(now: number): void {
    const n = this.local.t.length;
    this.#value.textContent = formatValue(this.local.v[n - 1]);
    this.#age.textContent = n > 0 ? formatAgeSeconds(now - this.local.t[n - 1]!) : "no reading yet";
    const u = this.units ? ` ${this.units}` : "";
    this.#legendLocal.textContent = n > 0 ? `${formatValue(this.local.v[n - 1])}${u}` : "—";
    const m = this.server.t.length;
    this.#legendServer.textContent = m > 0 ? `${formatValue(this.server.v[m - 1])}${u}` : "—";
  }

  /** Draw the window [from, to] (seconds; from = -Infinity: everything kept). */
  draw(from: number, to: number): void {
    const log = this.logScale;
    const pick = (s: Series): [number[], Array<number | null>] => {
      const i = Number.isFinite(from) ? lowerBound(s.t, from) : 0;
      const t = s.t.slice(i);
      const v = log ? s.v.slice(i).map((x) => (x > 0 ? x : null)) : s.v.slice(i);
      return [t, v];
    };
    const data = uPlot.join([pick(this.local), pick(this.server)] as unknown as uPlot.AlignedData[]) as uPlot.AlignedData;
    const windowed = Number.isFinite(from);
    if (!this.#plot) {
      const width = this.#width();
      if (width <= 0) return; // not laid out yet
      this.#plot = new uPlot(
        {
          width,
          height: HEIGHT,
          legend: { show: false },
          scales: { x: windowed ? { time: true, auto: false } : { time: true }, y: log ? { distr: 3 } : {} },
          series: [
            {},
            { label: `${this.name} (instrument)`, ...INSTRUMENT_STYLE, spanGaps: true },
            { label: `${this.name} (platform)`, ...PLATFORM_STYLE, spanGaps: true, points: { show: true, size: 4, stroke: PLATFORM_STYLE.stroke, fill: "#fff" } },
          ],
          axes: [{}, { size: 64, values: (_u, ticks) => ticks.map(formatTick) }],
        },
        data,
        this.#plotBox,
      );
      this.#windowed = windowed;
      if (windowed) this.#plot.setScale("x", { min: from, max: to });
    } else {
      if (windowed !== this.#windowed) {
        // the time window changed between "all" and a fixed one: build the chart again
        this.#plot.destroy();
        this.#plot = undefined;
        this.draw(from, to);
        return;
      }
      this.#plot.setData(data, !windowed);
      if (windowed) this.#plot.setScale("x", { min: from, max: to });
    }
  }

  destroy(): void {
    this.#resize?.disconnect();
    this.#plot?.destroy();
    this.box.remove();
  }
}
