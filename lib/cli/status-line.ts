/**
 * Progress on stderr: on a terminal, one status line redrawn in place by `log-update` (a kept library;
 * it works in Node and in Deno); otherwise a plain log line every `logIntervalMs`. Messages go above the
 * status line.
 */
import { createLogUpdate } from "log-update";

export interface StatusOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
  readonly rows?: number | undefined;
}

export interface StatusLineOptions {
  /** Where it is drawn. @default process.stderr */
  output?: StatusOutput;
  /** Redraw in place (a terminal) or print plain lines. @default output.isTTY */
  live?: boolean;
  /** Terminal: redraw period. @default 250 */
  redrawMs?: number;
  /** Plain output: one status line per this many ms. @default 5000 */
  logIntervalMs?: number;
  /** Prefix of every plain line. @default "atomscale-stream: " */
  prefix?: string;
}

export class StatusLine {
  readonly live: boolean;
  readonly #output: StatusOutput;
  readonly #render: () => string;
  readonly #prefix: string;
  readonly #draw: ReturnType<typeof createLogUpdate> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(render: () => string, options: StatusLineOptions = {}) {
    const output = options.output ?? process.stderr;
    this.#output = output;
    this.live = options.live ?? output.isTTY === true;
    this.#render = render;
    this.#prefix = options.prefix ?? "atomscale-stream: ";
    if (this.live) {
      // One line, cut to the terminal's width (a terminal that reports no width — a serial console — gets 80).
      const terminal = {
        write: (text: string) => output.write(text),
        isTTY: output.isTTY,
        get columns() {
          return output.columns || 80;
        },
        get rows() {
          return output.rows || 24;
        },
      };
      this.#draw = createLogUpdate(terminal as unknown as NodeJS.WriteStream, { showCursor: true });
    }
    const period = this.live ? (options.redrawMs ?? 250) : (options.logIntervalMs ?? 5000);
    this.#timer = setInterval(() => (this.live ? this.#redraw() : this.#output.write(`${this.#prefix}${this.#render()}\n`)), period);
  }

  /** A message, above the status line. */
  log(message: string): void {
    this.#draw?.clear();
    this.#output.write(`${this.#prefix}${message}\n`);
    if (this.#timer !== undefined) this.#redraw();
  }

  /** Write something else to the terminal (e.g. the data id on stdout) with the status line out of its way. */
  around(write: () => void): void {
    this.#draw?.clear();
    write();
    if (this.#timer !== undefined) this.#redraw();
  }

  /** Redraw now (on a terminal), e.g. when a state it names changed. */
  redraw(): void {
    if (this.#timer !== undefined) this.#redraw();
  }

  /** The status now, as a plain line (start and end of a run). */
  snapshot(): void {
    this.#draw?.clear();
    this.#output.write(`${this.#prefix}${this.#render()}\n`);
  }

  /** Stop redrawing and erase the live line. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#draw?.clear();
  }

  #redraw(): void {
    if (!this.#draw) return;
    const width = this.#output.columns || 80;
    let text = this.#render();
    if (text.length > width - 1) text = `${text.slice(0, Math.max(0, width - 2))}…`;
    this.#draw(text);
  }
}

/** Readings per second over the last few seconds. */
export class RateMeter {
  readonly #windowMs: number;
  readonly #started: number;
  readonly #samples: Array<{ at: number; count: number }> = [];

  constructor(windowMs = 5000, now = performance.now()) {
    this.#windowMs = windowMs;
    this.#started = now;
  }

  add(count: number, at = performance.now()): void {
    this.#samples.push({ at, count });
    this.#trim(at);
  }

  /** Per second, over the window (or the time since the start, if shorter; at least a second). */
  rate(at = performance.now()): number {
    this.#trim(at);
    const sum = this.#samples.reduce((n, s) => n + s.count, 0);
    const span = Math.max(1000, Math.min(this.#windowMs, at - this.#started));
    return (sum * 1000) / span;
  }

  #trim(at: number): void {
    while (this.#samples.length > 0 && this.#samples[0]!.at < at - this.#windowMs) this.#samples.shift();
  }
}
