/**
 * The instrument page: several instruments (Web Serial ports or simulated ones) feed one stream; live
 * charts lead; every pending chunk waits in IndexedDB; the status bar says what is true. Reload-proof: the
 * instruments and the stream being recorded are remembered, and what an earlier session left is sent.
 *
 * Components, each with its own state: StatusBar, ChartPanel, StreamPanel, SourcesPanel (SourceCards),
 * QueuePanel, SettingsPanel. This file wires them to the streamer (Uplink) and the Recording.
 */
import type { StreamStats } from "atomscale-stream";
import { ChartPanel, TIME_WINDOWS } from "./chart-panel.ts";
import { loadChartPrefs, saveChartPrefs } from "./chart-prefs.ts";
import { h } from "./dom.ts";
import { loadSession, saveSession } from "./page-store.ts";
import { pendingBannerText, QueuePanel } from "./queue-panel.ts";
import { toCsv } from "./recording.ts";
import { loadSettings, saveSettings, type PageSettings } from "./settings.ts";
import { SettingsPanel } from "./settings-panel.ts";
import { SourcesPanel } from "./sources-panel.ts";
import { StatusBar } from "./status-bar.ts";
import { StreamPanel } from "./stream-panel.ts";
import { StreamRecorder } from "./stream-recorder.ts";
import { platformIdOf, Uplink } from "./uplink.ts";

const saved = loadSession(localStorage);
let settings: PageSettings = { endpoint: "https://api.atomscale.ai", apiKey: "", remember: false };
let uplink: Uplink | undefined;
let onlineSince = Date.now();

const status = new StatusBar(useKey);
const charts = new ChartPanel(loadChartPrefs(localStorage, Object.keys(TIME_WINDOWS)), (prefs) => saveChartPrefs(localStorage, prefs));
const stream = new StreamPanel({
  start: () => void recorder.start(),
  stop: () => void recorder.stop(),
  download: () => void recorder.download().catch((e: unknown) => stream.error(e, "prepare the CSV")),
});
const queue = new QueuePanel();
const settingsPanel = new SettingsPanel(saveNewSettings);
const sources = new SourcesPanel(
  {
    readings: async (card, readings) => {
      charts.add(readings);
      await recorder.write(card.name, readings);
    },
    changed: () => persist(),
    removed: (_card, channels) => charts.removeChannels(channels),
  },
  saved.channels,
);
const recorder = new StreamRecorder({ uplink: () => uplink, sources, charts, panel: stream, changed: () => persist() }, saved);
const banner = h("div", { className: "banner", role: "alert", hidden: true });

function persist(): void {
  saveSession(localStorage, { sources: sources.records(), channels: sources.registry.snapshot(), ...recorder.snapshot() });
  refresh();
}

// ---- settings and the platform ----

async function emulatorDefaults(): Promise<PageSettings | undefined> {
  try {
    const res = await fetch("./emulator/config", { cache: "no-store" });
    if (!res.ok) return undefined;
    const config = (await res.json()) as { endpoint: string; apiKey: string };
    return { endpoint: config.endpoint, apiKey: config.apiKey, remember: false };
  } catch {
    return undefined;
  }
}

async function connectPlatform(): Promise<void> {
  const old = uplink;
  uplink = undefined;
  recorder.resetPoll();
  await old?.close();
  if (!settings.apiKey) {
    settingsPanel.say("Enter the API key of your Atomscale account to stream.");
    return refresh();
  }
  uplink = await Uplink.open(settings, () => {
    if (!stream.instrumentsListed && (uplink?.connection === "idle" || uplink?.connection === "sending")) listInstruments();
    refresh();
  });
  const text = pendingBannerText(uplink.streamer.outbox.slices());
  banner.hidden = !text;
  banner.textContent = text ?? "";
  settingsPanel.say(`Saved. The platform is ${settings.endpoint}.`);
  listInstruments();
}

/** Fill the growth instrument list; tried again when the platform becomes reachable. */
function listInstruments(): void {
  const link = uplink;
  link?.streamer.client.listGrowthInstruments().then(
    (list) => link === uplink && stream.setInstruments(list),
    () => {},
  );
}

async function saveNewSettings(next: PageSettings): Promise<void> {
  if (uplink && next.endpoint === settings.endpoint && next.apiKey) {
    // Same platform, new key: the same streamer goes on (its counters too).
    settings = next;
    saveSettings(settings, localStorage, sessionStorage);
    uplink.streamer.setApiKey(next.apiKey);
    settingsPanel.say(`Saved. The platform is ${settings.endpoint}.`);
    return refresh();
  }
  if (recorder.active && uplink) throw new Error("Stop the stream before changing the endpoint: a stream belongs to one platform.");
  settings = next;
  saveSettings(settings, localStorage, sessionStorage);
  await connectPlatform();
  await recorder.resume();
}

function useKey(key: string): void {
  settings = { ...settings, apiKey: key };
  saveSettings(settings, localStorage, sessionStorage);
  settingsPanel.show(settings);
  uplink?.streamer.setApiKey(key);
  refresh();
}

// ---- what the page shows ----

let lastSaved = 0;
function refresh(): void {
  const s = uplink?.streamer;
  const active = recorder.active;
  const shown = recorder.shownId;
  const stats = s && shown ? s.stats(shown) : undefined;
  const pendingSlices = s ? s.outbox.slices().filter((x) => !x.quarantined) : [];
  let points = 0;
  let bytes = 0;
  let oldest = Infinity;
  for (const x of pendingSlices) {
    points += x.points;
    bytes += x.bytes;
    oldest = Math.min(oldest, x.createdAt);
  }
  const shownStats: Partial<StreamStats> | undefined = stats
    ? { ...stats, ackedPoints: recorder.ackedTotal(stats) }
    : s
      ? { connection: uplink?.connection, pendingSlices: pendingSlices.length, pendingBytes: bytes, storage: s.outbox.storageInfo() }
      : undefined;
  queue.render(shownStats, s && shown ? s.outbox.slices(shown).filter((x) => x.quarantined) : []);
  if (s && !banner.hidden && pendingSlices.length === 0) banner.hidden = true;
  const platformId = s && active ? platformIdOf(s, active.dataId) : undefined;
  status.render({
    noKey: !settings.apiKey,
    endpoint: settings.endpoint,
    connection: uplink?.connection,
    since: navigator.onLine ? (uplink?.since ?? Date.now()) : onlineSince,
    online: navigator.onLine,
    lastError: uplink?.lastError,
    recording: active ? { dataId: active.dataId, name: active.name, platformId } : undefined,
    instruments: sources.cards.map((c) => c.stateText),
    pending: {
      slices: pendingSlices.length,
      points,
      oldestMs: pendingSlices.length ? Math.max(0, Date.now() - oldest) : 0,
    },
  });
  if (active && !recorder.busy && !recorder.recording) {
    stream.say(`The stream "${active.name}" is not being recorded: ${settings.apiKey ? "this browser's storage could not be opened (see the message below)" : "enter the API key in Settings"} to go on. Readings are shown, not sent.`);
  } else if (active && !recorder.busy) {
    const offline = !platformId || uplink?.connection === "retrying" || !navigator.onLine;
    stream.say(
      uplink?.connection === "auth-paused"
        ? `Recording "${active.name}": the platform refused the API key; readings are kept in this browser and sent once a valid key is entered.`
        : offline
          ? `Recording "${active.name}" offline: the platform cannot be reached; readings are kept in this browser and sent when it is back.`
          : `Recording "${active.name}" to the platform.`,
    );
  }
  const canStart = Boolean(s) && sources.cards.some((c) => c.connected || c.state === "unplugged" || c.state === "waiting");
  stream.buttons({ canStart, recording: active !== undefined, busy: recorder.busy, rows: recorder.count });
  if (active && stats && Date.now() - lastSaved > 2000) {
    lastSaved = Date.now();
    active.ackedSeen = stats.ackedPoints;
    saveSession(localStorage, { sources: sources.records(), channels: sources.registry.snapshot(), ...recorder.snapshot() });
  }
  recorder.poll();
}

function showNetwork(): void {
  onlineSince = Date.now();
  if (navigator.onLine) uplink?.streamer.retryNow();
  refresh();
}

async function main(): Promise<void> {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("./sw.js").catch(() => {});
  const root = document.getElementById("app")!;
  root.replaceChildren(status.element, banner, charts.element, stream.element, sources.element, queue.element, settingsPanel.element);
  charts.start();

  const fromStorage = loadSettings(localStorage, sessionStorage);
  const fromEmulator = fromStorage ? undefined : await emulatorDefaults();
  // Kept for this tab's session, so that a reload during an outage (no /emulator/config) still has them.
  if (fromEmulator) saveSettings(fromEmulator, localStorage, sessionStorage);
  settings = fromStorage ?? fromEmulator ?? settings;
  settingsPanel.show(settings);
  addEventListener("online", showNetwork);
  addEventListener("offline", showNetwork);

  for (const record of saved.sources) sources.add(record);
  if (saved.sources.length === 0) sources.add();

  try {
    await connectPlatform();
  } catch (error) {
    stream.error(error, "open this browser's storage for pending readings");
  }
  await recorder.resume();
  await sources.restore();
  persist();
  setInterval(() => {
    refresh();
    sources.renderRaw();
  }, 500);

  Object.assign(window, {
    atomscalePage: {
      chart: charts,
      sources: () => sources.cards,
      stats: () => (recorder.active && uplink ? uplink.streamer.stats(recorder.active.dataId) : undefined),
      active: () => recorder.active,
      platformId: () => (recorder.active && uplink ? platformIdOf(uplink.streamer, recorder.active.dataId) : undefined),
      /** The read-back being polled: the platform's id and the path prefix it is read from (undefined: none). */
      readBack: () => recorder.readBack,
      recorded: () => recorder.rows(),
      csv: async () => toCsv(await recorder.rows()),
    },
  });
}

void main();
