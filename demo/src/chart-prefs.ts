/**
 * What the charts remember across reloads (local storage): the time window, each channel's log-scale
 * choice, the channels hidden by the user, and the channels of removed instruments (kept off the charts
 * until an instrument on the page sends them again). Pause is not kept: a reload draws again.
 */

const KEY = "atomscale-stream-demo:charts";

export interface ChartPrefs {
  /** One of TIME_WINDOWS' labels. @default "10 min" */
  timeWindow: string;
  /** A channel's log-scale choice, where the user made one (otherwise: log for pressure units). */
  log: Record<string, boolean>;
  /** Channels the user hid ("Hide"): not drawn, listed to be shown again. */
  hidden: string[];
  /** Channels of instruments removed from the page: no chart, not read back. */
  removed: string[];
}

export const DEFAULT_TIME_WINDOW = "10 min";

export function defaultChartPrefs(): ChartPrefs {
  return { timeWindow: DEFAULT_TIME_WINDOW, log: Object.create(null) as Record<string, boolean>, hidden: [], removed: [] };
}

const names = (x: unknown): string[] => (Array.isArray(x) ? x.filter((n): n is string => typeof n === "string") : []);

/** The saved preferences; what is missing or malformed falls back to its default (never an error). */
export function loadChartPrefs(store: Storage, windows: readonly string[]): ChartPrefs {
  const prefs = defaultChartPrefs();
  let raw: unknown;
  try {
    raw = JSON.parse(store.getItem(KEY) ?? "null");
  } catch {
    store.removeItem(KEY);
    return prefs;
  }
  if (!raw || typeof raw !== "object") return prefs;
  const r = raw as Partial<Record<keyof ChartPrefs, unknown>>;
  if (typeof r.timeWindow === "string" && windows.includes(r.timeWindow)) prefs.timeWindow = r.timeWindow;
  // Pairs, not an object: a channel may be called "__proto__".
  if (Array.isArray(r.log)) {
    for (const pair of r.log) {
      if (Array.isArray(pair) && typeof pair[0] === "string" && typeof pair[1] === "boolean") prefs.log[pair[0]] = pair[1];
    }
  }
  prefs.hidden = names(r.hidden);
  prefs.removed = names(r.removed);
  return prefs;
}

export function saveChartPrefs(store: Storage, prefs: ChartPrefs): void {
  const value = { timeWindow: prefs.timeWindow, log: Object.entries(prefs.log), hidden: prefs.hidden, removed: prefs.removed };
  try {
    store.setItem(KEY, JSON.stringify(value));
  } catch {
    // a full or refused local storage: the preferences last for this page only
  }
}
