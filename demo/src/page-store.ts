/**
 * What the page remembers across reloads (local storage): the instruments (drivers, settings, USB ids,
 * simulated or not), the channel names they were given in the stream, and the stream being recorded.
 * The readings themselves wait in IndexedDB (the outbox); the recorded rows for the CSV in this tab's memory.
 */
import type { RegistrySnapshot } from "./channel-registry.ts";
import type { SourceRecord } from "./source-card.ts";

const KEY = "atomscale-stream-demo:session";
/** Round 1 remembered one instrument and its stream under this key; read once, then replaced. */
const OLD_KEY = "atomscale-stream-demo:active";

export interface ActiveStream {
  /** The id the streamer gave (the platform's, or a local one while it is unreachable). */
  dataId: string;
  name: string;
  startedAt: number;
  /** Points acknowledged by earlier streamers of this page (a reload or new settings), added to the current one's. */
  ackedBefore: number;
  /** Points the current streamer has acknowledged, as last seen (added to ackedBefore on the next load). */
  ackedSeen: number;
}

export interface PageSession {
  sources: SourceRecord[];
  channels: RegistrySnapshot;
  active?: ActiveStream | undefined;
  /** The stream recorded last (the current one while recording): its CSV stays downloadable after Stop and a reload. */
  last?: { dataId: string; name: string } | undefined;
}

export function loadSession(store: Storage): PageSession {
  try {
    const raw = store.getItem(KEY);
    if (raw) {
      const s = JSON.parse(raw) as Partial<PageSession>;
      const active = s.active ? { ...s.active, ackedBefore: (s.active.ackedBefore ?? 0) + (s.active.ackedSeen ?? 0), ackedSeen: 0 } : undefined;
      const sources = Array.isArray(s.sources) ? s.sources.map((r) => ({ ...r, fields: r.fields ?? {} })) : [];
      return { sources, channels: s.channels ?? { assigned: {} }, active, last: s.last };
    }
    const old = JSON.parse(store.getItem(OLD_KEY) ?? "null") as
      | { dataId: string; driverId: string; serial: SourceRecord["serial"]; channels: string; command: string; simulated: boolean; usb?: SourceRecord["usb"] }
      | null;
    if (old?.dataId) {
      return {
        sources: [{ id: "source-1", name: "Instrument 1", kind: old.simulated ? "simulated" : "serial", driverId: old.driverId, serial: old.serial, channels: old.channels, fields: old.command ? { command: old.command } : {}, usb: old.usb }],
        channels: { assigned: {} },
        active: { dataId: old.dataId, name: "", startedAt: Date.now(), ackedBefore: 0, ackedSeen: 0 },
      };
    }
  } catch {
    store.removeItem(KEY);
  }
  return { sources: [], channels: { assigned: {} } };
}

export function saveSession(store: Storage, session: PageSession): void {
  store.setItem(KEY, JSON.stringify(session));
  store.removeItem(OLD_KEY);
}
