/**
 * The instrument page: several instruments (Web Serial ports or simulated ones) feed one stream; live
 * charts lead; every pending chunk waits in IndexedDB; the status bar says what is true. Reload-proof: the
 * instruments and the stream being recorded are remembered, and what an earlier session left is sent.
 *
 * Components, each with its own state: StatusBar, ChartPanel, StreamPanel, SourcesPanel (SourceCards),
 * QueuePanel, SettingsPanel. This file wires them to the streamer (Uplink) and the Recording.
 */
import { pollTimeseries, type StreamStats } from "atomscale-stream";
import { ChartPanel } from "./chart-panel.ts";
import { h } from "./dom.ts";
import { loadSession, saveSession, type ActiveStream } from "./page-store.ts";
import { pendingBannerText, QueuePanel } from "./queue-panel.ts";
import { RecordStore } from "./record-store.ts";
import { Recording, toCsv } from "./recording.ts";
import { loadSettings, saveSettings, type PageSettings } from "./settings.ts";
import { SettingsPanel } from "./settings-panel.ts";
import { SourcesPanel } from "./sources-panel.ts";
import { StatusBar } from "./status-bar.ts";
import { StreamPanel } from "./stream-panel.ts";
import { platformIdOf, Uplink } from "./uplink.ts";

const saved = loadSession(localStorage);
let settings: PageSettings = { endpoint: "https://api.atomscale.ai", apiKey: "", remember: false };
let uplink: Uplink | undefined;
let active: ActiveStream | undefined = saved.active;
let recording: Recording | undefined;
/** The stream recorded last (its CSV stays downloadable after Stop); while recording, the current one. */
let last: { dataId: string; name: string; recording?: Recording | undefined; count: number } | undefined = saved.last ? { ...saved.last, count: 0 } : undefined;
const recordStore = new RecordStore();
let busy = false;
let poller: AbortController | undefined;
let polledId: string | undefined;
let onlineSince = Date.now();

const status = new StatusBar();
const charts = new ChartPanel();
const stream = new StreamPanel({ start: () => void start(), stop: () => void stop(), download: () => void download().catch((e: unknown) => stream.error(e, "prepare the CSV")) });
const queue = new QueuePanel({ useKey });
const settingsPanel = new SettingsPanel(saveNewSettings);
const sources = new SourcesPanel(
  {
    readings: async (card, readings) => {
      charts.add(readings);
      if (recording && !recording.closed) await recording.write(card.name, readings);
    },
    changed: () => persist(),
  },
  saved.channels,
);
const banner = h("div", { className: "banner", role: "alert", hidden: true });

function persist(): void {
  saveSession(localStorage, { sources: sources.records(), channels: sources.registry.snapshot(), active, last: last && { dataId: last.dataId, name: last.name } });
  refresh();
}

// ---- the stream ----

async function start(): Promise<void> {
  const s = uplink?.streamer;
  if (!s || busy) return;
  busy = true;
  stream.error(undefined, "");
  stream.say("Starting…");
  try {
    const names = sources.cards.map((c) => c.name).join(", ");
    const options = stream.options(`${names} ${new Date().toLocaleString()}`);
    const dataId = await s.initialize(options);
    active = { dataId, name: options.streamName ?? dataId, startedAt: Date.now(), ackedBefore: 0, ackedSeen: 0 };
    charts.clearServer();
    record(dataId, 0);
    persist();
    void recordStore.keepOnly(dataId).catch(() => {});
  } catch (error) {
    stream.say("No stream.");
    stream.error(error, "start the stream");
  } finally {
    busy = false;
    refresh();
  }
}

/** Send every source's readings to this stream from now on (`earlier`: readings recorded before a reload). */
function record(dataId: string, earlier: number): void {
  const s = uplink!.streamer;
  const writer = s.writable(dataId, { maxLatencyMs: 1000, finalizeOnClose: false }).getWriter();
  recording = new Recording(
    dataId,
    writer,
    recordStore,
    {
      refused: (error, points) => stream.error(Object.assign(new Error(`${points} reading(s) could not be stored for upload: ${(error as Error)?.message ?? error}`), { cause: error }), "keep the latest readings"),
      notCopied: (error, points) => stream.error(Object.assign(new Error(`${points} reading(s) are in the stream but not in the CSV: ${(error as Error)?.message ?? error}`), { cause: error }), "copy the latest readings for the CSV"),
    },
    earlier,
  );
  last = { dataId, name: active?.name ?? dataId, recording, count: earlier };
  sources.recording = true;
}

/** A stream recorded before a reload (or before the key was given): go on recording it. */
function resumeRecording(): void {
  if (!active || !uplink || recording) return;
  try {
    record(active.dataId, last?.dataId === active.dataId ? last.count : 0);
  } catch (error) {
    stream.error(error, `go on with stream "${active.name}"`);
    active = undefined;
    persist();
  }
}

/** The rows of the stream recorded last, for the CSV. */
async function lastRows() {
  if (!last) return [];
  return last.recording ? last.recording.rows() : recordStore.rows(last.dataId);
}

async function stop(): Promise<void> {
  const s = uplink?.streamer;
  if (!s || !active || busy) return;
  busy = true;
  const dataId = active.dataId;
  stream.say("Stopping: sending what is left…");
  refresh();
  try {
    await recording?.close(); // seals the open chunks into the outbox
    recording = undefined;
    sources.recording = false;
    const result = await s.finalize(dataId, { timeoutMs: 10_000 });
    active = undefined;
    poller?.abort();
    persist();
    const refused = result.quarantined.length;
    stream.say(
      result.status === "finalized"
        ? `Stopped: the stream is finalized on the platform.${refused ? ` ${refused} slice(s) were refused by the platform (see the upload queue).` : ""}`
        : `Stopped. ${result.unsent.length} slice(s) are still waiting to be sent; the stream is finalized by itself once they are, even after a reload.`,
    );
  } catch (error) {
    stream.error(error, "stop the stream");
  } finally {
    busy = false;
    refresh();
  }
}

async function download(): Promise<void> {
  const rows = await lastRows();
  const name = (last?.name ?? "readings").replace(/[^\w.-]+/g, "_").slice(0, 80);
  const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: "text/csv" }));
  const a = h("a", { href: url, download: `${name}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Read the stream back from the platform (dotted line) once its platform id is known. */
function poll(): void {
  const s = uplink?.streamer;
  const shown = active?.dataId ?? last?.dataId;
  const platformId = s && shown ? platformIdOf(s, shown) : undefined;
  if (!s || !platformId || platformId === polledId) return;
  poller?.abort();
  polledId = platformId;
  const controller = new AbortController();
  poller = controller;
  void (async () => {
    for await (const snap of pollTimeseries(s.client, platformId, { intervalMs: 1000, lastN: 600, signal: controller.signal, onError: () => {} })) {
      charts.setServer(snap.timeseries);
    }
  })().catch(() => {});
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
  polledId = undefined;
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
  if (active && uplink) throw new Error("Stop the stream before changing the endpoint: a stream belongs to one platform.");
  settings = next;
  saveSettings(settings, localStorage, sessionStorage);
  await connectPlatform();
  resumeRecording();
}

function useKey(key: string): void {
  settings = { ...settings, apiKey: key };
  saveSettings(settings, localStorage, sessionStorage);
  settingsPanel.show(settings);
  uplink?.streamer.setApiKey(key);
  refresh();
}

// ---- what the page shows ----

function ackedTotal(stats: StreamStats | undefined): number {
  return (active?.ackedBefore ?? 0) + (stats?.ackedPoints ?? 0);
}

let lastSaved = 0;
function refresh(): void {
  const s = uplink?.streamer;
  const shown = active?.dataId ?? last?.dataId;
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
    ? { ...stats, ackedPoints: ackedTotal(stats) }
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
  if (active && !busy && !recording) {
    stream.say(`The stream "${active.name}" is not being recorded: ${settings.apiKey ? "this browser's storage could not be opened (see the message below)" : "enter the API key in Settings"} to go on. Readings are shown, not sent.`);
  } else if (active && !busy) {
    const offline = !platformId || uplink?.connection === "retrying" || !navigator.onLine;
    stream.say(
      offline
        ? `Recording "${active.name}" offline: the platform cannot be reached; readings are kept in this browser and sent when it is back.`
        : `Recording "${active.name}" to the platform.`,
    );
  }
  const canStart = Boolean(s) && sources.cards.some((c) => c.connected || c.state === "unplugged" || c.state === "waiting");
  stream.buttons({ canStart, recording: active !== undefined, busy, rows: last?.recording?.count ?? last?.count ?? 0 });
  if (active && stats && Date.now() - lastSaved > 2000) {
    lastSaved = Date.now();
    active.ackedSeen = stats.ackedPoints;
    saveSession(localStorage, { sources: sources.records(), channels: sources.registry.snapshot(), active });
  }
  poll();
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
  if (last) last.count = await recordStore.count(last.dataId).catch(() => 0);
  resumeRecording();
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
      stats: () => (active && uplink ? uplink.streamer.stats(active.dataId) : undefined),
      active: () => active,
      platformId: () => (active && uplink ? platformIdOf(uplink.streamer, active.dataId) : undefined),
      recorded: () => lastRows(),
      csv: async () => toCsv(await lastRows()),
    },
  });
}

void main();
