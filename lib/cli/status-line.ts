/**
 * Progress on stderr: on a terminal, one status line redrawn in place (`\r`, erase to end of line);
 * otherwise a plain log line every `logIntervalMs`. Messages go above the status line.
 */

export interface StatusOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
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
  #timer: ReturnType<typeof setInterval> | undefined;
  #drawn = false;

  constructor(render: () => string, options: StatusLineOptions = {}) {
    this.#output = options.output ?? process.stderr;
    this.live = options.live ?? this.#output.isTTY === true;
    this.#render = render;
    this.#prefix = options.prefix ?? "atomscale-stream: ";
    const period = this.live ? (options.redrawMs ?? 250) : (options.logIntervalMs ?? 5000);
    this.#timer = setInterval(() => (this.live ? this.#draw() : this.#output.write(`${this.#prefix}${this.#render()}\n`)), period);
  }

  /** A message, above the status line. */
  log(message: string): void {
    this.#clear();
    this.#output.write(`${this.#prefix}${message}\n`);
    if (this.#timer !== undefined && this.live) this.#draw();
  }

  /** Redraw now (on a terminal), e.g. when a state it names changed. */
  redraw(): void {
    if (this.#timer !== undefined && this.live) this.#draw();
  }

  /** The status now, as a plain line (start and end of a run). */
  snapshot(): void {
    this.#clear();
    this.#output.write(`${this.#prefix}${this.#render()}\n`);
  }

  /** Stop redrawing and erase the live line. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#clear();
  }

  #draw(): void {
    let text = this.#render();
    const width = this.#output.columns;
    if (width && text.length > width - 1) text = `${text.slice(0, Math.max(0, width - 2))}…`;
    this.#output.write(`\r${text}\x1b[K`);
    this.#drawn = true;
  }

  #clear(): void {
    if (!this.#drawn) return;
    this.#output.write("\r\x1b[K");
    this.#drawn = false;
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
