/**
 * The truth at the top of the page, in plain words: can the platform be reached as the uploader sees it
 * (sending / retrying since when / key refused / offline — data kept here), each instrument's state, and
 * what is pending.
 */
import type { StreamStats } from "atomscale-stream";
import { h } from "./dom.ts";
import { formatAge } from "./queue-panel.ts";

export interface StatusInput {
  /** No API key yet (no streamer). */
  noKey: boolean;
  endpoint: string;
  /** The uploader's connection state and when it last changed (ms since epoch). */
  connection: StreamStats["connection"] | undefined;
  since: number;
  /** navigator.onLine. */
  online: boolean;
  /** The last upload error's message (technical detail). */
  lastError?: string | undefined;
  recording?: { dataId: string; name: string; platformId?: string | undefined } | undefined;
  /** One short line per instrument, e.g. "Instrument 1: connected". */
  instruments: string[];
  pending: { slices: number; points: number; oldestMs: number };
}

const time = (ms: number) => new Date(ms).toLocaleTimeString(undefined, { hour12: false });

/** The platform line: what a scientist needs to know, nothing more. */
export function platformText(s: StatusInput): { text: string; tone: "ok" | "warn" | "bad" } {
  if (s.noKey) return { text: "Platform: no API key yet — enter it in Settings. Readings are shown but not sent.", tone: "warn" };
  if (!s.online) return { text: `Platform: this computer is offline since ${time(s.since)} — data is kept here and sent when the network is back.`, tone: "warn" };
  switch (s.connection) {
    case "auth-paused":
      return { text: "Platform: the API key was refused — uploads are paused, data is kept here. Enter a valid key:", tone: "bad" };
    case "retrying":
      return { text: `Platform: not reachable, retrying since ${time(s.since)} — data is kept here and sent when it is back.`, tone: "warn" };
    case "sending":
      return { text: "Platform: reachable — sending.", tone: "ok" };
    case "closed":
      return { text: "Platform: not connected (settings changed).", tone: "warn" };
    default:
      return { text: "Platform: reachable — everything is sent.", tone: "ok" };
  }
}

export function pendingText(p: StatusInput["pending"]): string {
  if (p.slices === 0) return "Nothing waiting to be sent.";
  return `Waiting to be sent: ${p.points} point${p.points === 1 ? "" : "s"} (${p.slices} slice${p.slices === 1 ? "" : "s"}), oldest ${formatAge(p.oldestMs)}.`;
}

export class StatusBar {
  readonly element: HTMLElement;
  readonly #platform: HTMLElement;
  readonly #recording: HTMLElement;
  readonly #instruments: HTMLElement;
  readonly #pending: HTMLElement;
  readonly #detail: HTMLElement;
  readonly #auth: HTMLElement;

  /** `useKey`: a new key typed after a refusal (uploads resume with it). */
  constructor(useKey: (key: string) => void) {
    const newKey = h("input", { type: "password", autocomplete: "off", name: "new-key" });
    this.#auth = h(
      "div",
      { className: "auth-problem", hidden: true },
      h("label", { className: "inline" }, "New API key ", newKey),
      h("button", { type: "button", onclick: () => newKey.value.trim() && useKey(newKey.value.trim()) }, "Use this key"),
    );
    this.#platform = h("p", { className: "platform", role: "status", "aria-label": "Platform" });
    this.#recording = h("p", { className: "recording", role: "status", "aria-label": "Recording" });
    this.#instruments = h("p", { className: "instruments", role: "status", "aria-label": "Instruments" });
    this.#pending = h("p", { className: "pending", role: "status", "aria-label": "Pending" });
    this.#detail = h("pre", {});
    this.element = h(
      "div",
      { className: "status-bar", role: "region", "aria-label": "Status" },
      this.#platform,
      this.#auth,
      this.#recording,
      this.#instruments,
      this.#pending,
      h("details", { className: "detail" }, h("summary", {}, "Technical detail"), this.#detail),
    );
  }

  render(s: StatusInput): void {
    const p = platformText(s);
    this.#platform.textContent = p.text;
    this.element.dataset.tone = p.tone;
    this.#auth.hidden = s.noKey || !s.online || s.connection !== "auth-paused";
    this.#recording.textContent = s.recording
      ? `Recording "${s.recording.name}"${s.recording.platformId && s.recording.platformId !== s.recording.dataId ? ` (platform id ${s.recording.platformId})` : ""}.`
      : "Not recording.";
    this.#instruments.textContent = s.instruments.length > 0 ? s.instruments.join(" · ") : "No instrument yet: add one below.";
    this.#pending.textContent = pendingText(s.pending);
    this.#detail.textContent = [
      `endpoint: ${s.endpoint || "(none)"}`,
      `uploader: ${s.connection ?? "(none)"} since ${new Date(s.since).toISOString()}`,
      `browser online: ${s.online}`,
      s.recording ? `stream id: ${s.recording.dataId}${s.recording.platformId ? `, platform id: ${s.recording.platformId}` : ""}` : "",
      s.lastError ? `last upload error: ${s.lastError}` : "",
    ]
      .filter(Boolean)
      .join("\n");
  }
}
