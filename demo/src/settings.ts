/** The page's settings: endpoint and key (session storage, or local storage when "remember" is ticked), channel specs, tags. */

export interface PageSettings {
  endpoint: string;
  apiKey: string;
  remember: boolean;
}

const KEY = "atomscale-stream-demo:settings";

/** Read saved settings: local storage (remembered) first, then this session's. */
export function loadSettings(local: Storage, session: Storage): PageSettings | undefined {
  for (const [store, remember] of [[local, true], [session, false]] as const) {
    const raw = store.getItem(KEY);
    if (!raw) continue;
    try {
      const s = JSON.parse(raw) as Partial<PageSettings>;
      if (typeof s.endpoint === "string" && typeof s.apiKey === "string") return { endpoint: s.endpoint, apiKey: s.apiKey, remember };
    } catch {
      store.removeItem(KEY);
    }
  }
  return undefined;
}

/** Save: the key goes to local storage only when the user asked to be remembered; otherwise it ends with the tab. */
export function saveSettings(settings: PageSettings, local: Storage, session: Storage): void {
  const value = JSON.stringify({ endpoint: settings.endpoint, apiKey: settings.apiKey });
  if (settings.remember) {
    local.setItem(KEY, value);
    session.removeItem(KEY);
  } else {
    session.setItem(KEY, value);
    local.removeItem(KEY);
  }
}

/** Check an endpoint typed by a user: an absolute http(s) URL, without a trailing slash. */
export function normalizeEndpoint(text: string): string {
  const trimmed = text.trim().replace(/\/+$/, "");
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new Error(`Endpoint must be an absolute URL such as https://api.atomscale.ai, not ${JSON.stringify(text)}.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`Endpoint must be http or https, not ${url.protocol}`);
  return trimmed;
}

/** "temperature:C, pressure:mbar, rate" → names in order and units by name. */
export function parseChannels(text: string): { channels: string[]; units: Record<string, string> } {
  const channels: string[] = [];
  const units: Record<string, string> = {};
  for (const part of text.split(",")) {
    const item = part.trim();
    if (!item) continue;
    const colon = item.indexOf(":");
    const name = (colon < 0 ? item : item.slice(0, colon)).trim();
    const unit = colon < 0 ? "" : item.slice(colon + 1).trim();
    if (!name) throw new Error(`Channel list: an entry has no name (${JSON.stringify(item)}). Write name:unit, separated by commas.`);
    if (name.length > 255) throw new Error(`Channel list: ${JSON.stringify(name.slice(0, 20))}… is longer than 255 characters.`);
    channels.push(name);
    if (unit) units[name] = unit;
  }
  return { channels, units };
}

/** "GaN, run 42 ,, calibration" → ["GaN", "run 42", "calibration"] (duplicates once, in order). */
export function parseTags(text: string): string[] {
  const tags: string[] = [];
  for (const part of text.split(",")) {
    const tag = part.trim();
    if (!tag) continue;
    if (tag.length > 255) throw new Error(`Tags: ${JSON.stringify(tag.slice(0, 20))}… is longer than 255 characters.`);
    if (!tags.includes(tag)) tags.push(tag);
  }
  return tags;
}
