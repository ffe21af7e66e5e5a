/** The upload queue panel: what is pending, in flight, retried, quarantined; storage; the connection. */
import type { SliceMeta, StreamStats } from "atomscale-stream";

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
      ? `${formatBytes(storage.usage)} of ${formatBytes(storage.quota)}${storage.persisted ? ", persistent" : storage.persisted === false ? ", may be evicted" : ""}`
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
