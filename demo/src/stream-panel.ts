/** The Stream section: name, sample, growth instrument, project, tags; Start and Stop; what happened. */
import type { GrowthInstrument, InitializeOptions } from "atomscale-stream";
import { field, h, option } from "./dom.ts";
import { showError } from "./errors.ts";
import { parseTags } from "./settings.ts";

/** What Start passes to `initialize()` (tags: the streamer's `initialize({ tags })`). */
export type StartOptions = InitializeOptions & { tags?: string[] };

export class StreamPanel {
  readonly element: HTMLElement;
  readonly #name: HTMLInputElement;
  readonly #sample: HTMLInputElement;
  readonly #instrument: HTMLSelectElement;
  readonly #project: HTMLInputElement;
  readonly #tags: HTMLInputElement;
  readonly #start: HTMLButtonElement;
  readonly #stop: HTMLButtonElement;
  readonly #download: HTMLButtonElement;
  readonly #status: HTMLElement;
  readonly #error: HTMLElement;

  constructor(actions: { start(): void; stop(): void; download(): void }) {
    this.#name = h("input", { name: "stream-name" });
    this.#sample = h("input", { name: "physical-sample", placeholder: "name or UUID" });
    this.#instrument = h("select", { name: "growth-instrument" }, option("", "(none)"));
    this.#project = h("input", { name: "project", placeholder: "project UUID (optional)" });
    this.#tags = h("input", { name: "tags", placeholder: "e.g. GaN, run 42, calibration" });
    this.#start = h("button", { type: "button", onclick: () => actions.start(), disabled: true }, "Start");
    this.#stop = h("button", { type: "button", onclick: () => actions.stop(), disabled: true }, "Stop");
    this.#download = h("button", { type: "button", className: "secondary", onclick: () => actions.download(), disabled: true }, "Download CSV");
    this.#status = h("p", { role: "status", "aria-label": "Stream status" }, "No stream.");
    this.#error = h("div", { className: "error", role: "alert", hidden: true });
    this.element = h(
      "section",
      { "aria-labelledby": "stream-title" },
      h("h2", { id: "stream-title" }, "Stream"),
      h(
        "div",
        { className: "grid" },
        field("Stream name", this.#name),
        field("Physical sample", this.#sample),
        field("Growth instrument", this.#instrument),
        field("Project", this.#project),
        field("Tags", this.#tags),
      ),
      h("div", { className: "buttons" }, this.#start, this.#stop, this.#download),
      this.#status,
      this.#error,
    );
  }

  /** The options for `initialize()`; bad input is an error naming the field. */
  options(defaultName: string): StartOptions {
    const sample = this.#sample.value.trim();
    const project = this.#project.value.trim();
    const instrument = this.#instrument.value;
    const tags = parseTags(this.#tags.value);
    return {
      streamName: this.#name.value.trim() || defaultName,
      ...(sample ? { physicalSample: sample } : {}),
      ...(instrument ? { synthSourceId: Number(instrument) } : {}),
      ...(project ? { projectId: project } : {}),
      ...(tags.length > 0 ? { tags } : {}),
    };
  }

  setInstruments(instruments: GrowthInstrument[]): void {
    const chosen = this.#instrument.value;
    this.#instrument.replaceChildren(option("", "(none)"), ...instruments.map((i) => option(String(i.synthSourceId), `${i.sourceName} (${i.synthSourceType})`)));
    this.#instrument.value = chosen;
  }

  get instrumentsListed(): boolean {
    return this.#instrument.options.length > 1;
  }

  buttons(state: { canStart: boolean; recording: boolean; busy: boolean; rows: number }): void {
    this.#start.disabled = !state.canStart || state.recording || state.busy;
    this.#stop.disabled = !state.recording || state.busy;
    this.#download.disabled = state.rows === 0;
  }

  say(text: string): void {
    this.#status.textContent = text;
  }

  error(error: unknown, doing: string): void {
    showError(this.#error, error, doing);
  }
}
