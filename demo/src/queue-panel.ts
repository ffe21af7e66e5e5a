/** The upload queue panel: what is pending, in flight, retried, quarantined; storage; the connection. */
import type { SliceMeta, StreamStats } from "atomscale-stream";
import { h } from "./dom.ts";

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatAge(ms: number): string {
  if (ms <= 0) return "—";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** What a browser does with storage it was not asked to keep, in words. */
export const EVICTABLE = "the browser may clear it when space runs low; ask it to keep it";

const CONNECTION_TEXT: Record<string, string> = {
  idle: "up to date",
  sending: "sending",
  retrying: "retrying (the platform is not reachable; data waits here)",
  "auth-paused": "paused: the API key was refused",
  closed: "stopped",
};

/** Fill the panel's fields from the stream's stats (or the outbox's totals when no stream is selected). */
export function renderQueue(root: ParentNode, stats: Partial<StreamStats> | undefined): void {
  const set = (field: string, text: string) => {
    const el = root.querySelector(`[data-field="${field}"]`);
    if (el) el.textContent = text;
  };
  set("connection", stats?.connection ? (CONNECTION_TEXT[stats.connection] ?? stats.connection) : "—");
  set("pendingSlices", String(stats?.pendingSlices ?? 0));
  set("pendingBytes", formatBytes(stats?.pendingBytes ?? 0));
  set("oldestPending", formatAge(stats?.oldestPendingMs ?? 0));
  set("inFlight", String(stats?.inFlight ?? 0));
  set("retries", String(stats?.retries ?? 0));
  set("ackedPoints", String(stats?.ackedPoints ?? 0));
  set("quarantined", String(stats?.quarantined ?? 0));
  const storage = stats?.storage;
  set(
    "storage",
    storage && storage.usage !== undefined && storage.quota
      ? `${formatBytes(storage.usage)} of ${formatBytes(storage.quota)}${storage.persisted ? ", persistent" : storage.persisted === false ? `, ${EVICTABLE}` : ""}`
      : "—",
  );
}

/** One line per quarantined slice, with the server's reason. */
export function renderQuarantine(list: HTMLElement, slices: SliceMeta[]): void {
  list.replaceChildren(
    ...slices.map((s) => {
      const li = list.ownerDocument.createElement("li");
      const reason = s.quarantined?.message ?? "refused";
      li.textContent = `${s.channel} #${s.chunkIndex} (${s.points} points): ${reason}`;
      return li;
    }),
  );
}

/** The banner after a reload: what an earlier session left, and that it is being sent. */
export function pendingBannerText(slices: SliceMeta[]): string | undefined {
  const pending = slices.filter((s) => !s.quarantined);
  if (pending.length === 0) return undefined;
  const points = pending.reduce((n, s) => n + s.points, 0);
  const streams = new Set(pending.map((s) => s.dataId)).size;
  return `${pending.length} slice${pending.length === 1 ? "" : "s"} (${points} points) of ${streams} stream${streams === 1 ? "" : "s"} from an earlier session are waiting in this browser and are being sent.`;
}

const FIELDS: Array<[string, string]> = [
  ["connection", "Connection"],
  ["pendingSlices", "Pending slices"],
  ["pendingBytes", "Pending bytes"],
  ["oldestPending", "Oldest pending"],
  ["inFlight", "In flight"],
  ["retries", "Retries"],
  ["ackedPoints", "Sent (acknowledged points)"],
  ["quarantined", "Quarantined"],
  ["storage", "Browser storage"],
];

/** The queue section: the numbers, the refused slices, the storage request. */
export class QueuePanel {
  readonly element: HTMLElement;
  readonly #list: HTMLElement;
  readonly #fields: HTMLElement;
  readonly #keep: HTMLButtonElement;

  constructor() {
    this.#fields = h("dl", { className: "queue", "aria-label": "Upload queue" });
    for (const [f, label] of FIELDS) this.#fields.append(h("dt", {}, label), h("dd", { dataset: { field: f } }, "—"));
    this.#list = h("ul", { "aria-label": "Quarantined slices" });
    this.#keep = h(
      "button",
      {
        type: "button",
        className: "secondary",
        hidden: true,
        onclick: async () => {
          const granted = await navigator.storage?.persist?.().catch(() => false);
          this.#keep.textContent = granted ? "The browser keeps it" : "The browser did not agree (it may ask again later)";
          this.#keep.disabled = true;
        },
      },
      "Ask the browser to keep it",
    );
    this.element = h("section", { "aria-labelledby": "queue-title" }, h("h2", { id: "queue-title" }, "Upload queue"), this.#fields, this.#keep, this.#list);
  }

  render(stats: Partial<StreamStats> | undefined, quarantined: SliceMeta[]): void {
    renderQueue(this.#fields, stats);
    renderQuarantine(this.#list, quarantined);
    this.#keep.hidden = stats?.storage?.persisted !== false && !this.#keep.disabled;
  }
}
