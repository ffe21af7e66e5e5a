/** Live chart (uPlot): per channel, the readings as they arrive and the server's read-back beside them. */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Reading, Timeseries } from "atomscale-stream";

const KEEP = 600;

interface Series {
  t: number[];
  v: number[];
}

interface ChannelPlot {
  units: string | undefined;
  local: Series;
  server: Series;
  plot: uPlot | undefined;
  box: HTMLElement;
  title: HTMLElement;
}

export class LiveChart {
  readonly #root: HTMLElement;
  readonly #channels = new Map<string, ChannelPlot>();
  #frame = 0;

  constructor(root: HTMLElement) {
    this.#root = root;
  }

  /** Points per channel shown (local, server): for tests and the status line. */
  counts(): Record<string, { local: number; server: number }> {
    const out: Record<string, { local: number; server: number }> = {};
    for (const [name, c] of this.#channels) out[name] = { local: c.local.t.length, server: c.server.t.length };
    return out;
  }

  add(readings: Reading[]): void {
    for (const r of readings) {
      const c = this.#channel(r.channel, r.units);
      c.local.t.push(r.t);
      c.local.v.push(r.value);
      trim(c.local);
    }
    this.#schedule();
  }

  /** The server's read-back (last points of each property). */
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
      trim(c.server);
    }
    this.#schedule();
  }

  clear(): void {
    for (const c of this.#channels.values()) c.plot?.destroy();
    this.#channels.clear();
    this.#root.replaceChildren();
  }

  #channel(name: string, units: string | undefined): ChannelPlot {
    let c = this.#channels.get(name);
    if (!c) {
      const box = this.#root.ownerDocument.createElement("figure");
      const title = this.#root.ownerDocument.createElement("figcaption");
      title.className = "chart-title";
      box.append(title);
      this.#root.append(box);
      c = { units, local: { t: [], v: [] }, server: { t: [], v: [] }, plot: undefined, box, title };
      this.#channels.set(name, c);
    }
    if (units && !c.units) c.units = units;
    c.title.textContent = `${name}${c.units ? ` (${c.units})` : ""}`;
    return c;
  }

  #schedule(): void {
    if (this.#frame) return;
    const raf = globalThis.requestAnimationFrame ?? ((f: FrameRequestCallback) => setTimeout(() => f(performance.now()), 100));
    this.#frame = raf(() => {
      this.#frame = 0;
      this.#draw();
    }) as unknown as number;
  }

  #draw(): void {
    for (const [name, c] of this.#channels) {
      const data = uPlot.join([
        [c.local.t, c.local.v],
        [c.server.t, c.server.v],
      ]) as uPlot.AlignedData;
      if (!c.plot) {
        const width = Math.max(320, (c.box.clientWidth || 480) - 10);
        c.plot = new uPlot(
          {
            width,
            height: 200,
            scales: { x: { time: true } },
            series: [
              {},
              { label: `${name} (instrument)`, stroke: "#0b57d0", width: 1.5, spanGaps: true },
              { label: `${name} (platform)`, stroke: "#0a7a3c", width: 2, dash: [4, 4], spanGaps: true },
            ],
            axes: [{}, { label: c.units ?? "", size: 70, values: (_u, ticks) => ticks.map(formatTick) }],
          },
          data,
          c.box,
        );
      } else {
        c.plot.setData(data);
      }
    }
  }
}

/** Axis numbers that stay readable from 1e-9 mbar to 1e5 °C. */
export function formatTick(v: number | null): string {
  if (v == null) return "";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e6 ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}

function trim(s: Series): void {
  if (s.t.length > KEEP) {
    s.t.splice(0, s.t.length - KEEP);
    s.v.splice(0, s.v.length - KEEP);
  }
}
