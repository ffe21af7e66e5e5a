/**
 * The instrument page: Web Serial (or a simulated instrument) in, live chart out, every pending chunk
 * in IndexedDB. Reload-proof: the stream being recorded is remembered; on load the page reconnects to
 * the granted port (getPorts) and continues the stream, and what an earlier session left pending is sent.
 */
import { pollTimeseries, TimeseriesStreamer, type Reading, type StreamStats } from "atomscale-stream";
import { IndexedDbOutbox } from "atomscale-stream/browser";
import { DRIVERS, getDriver, type DriverProblem, type SerialSettings } from "atomscale-stream/serial";
import { LiveChart } from "./chart.ts";
import { pendingBannerText, renderQuarantine, renderQueue } from "./queue-panel.ts";
import { InstrumentSession, serialTransport, simulatedTransport, type Transport } from "./session.ts";
import { loadSettings, normalizeEndpoint, parseChannels, saveSettings, type PageSettings } from "./settings.ts";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const ACTIVE_KEY = "atomscale-stream-demo:active";
const OUTBOX_NAME = "atomscale-stream-demo";

/** The stream being recorded, remembered across reloads. */
interface Active {
  dataId: string;
  driverId: string;
  serial: SerialSettings;
  channels: string;
  command: string;
  simulated: boolean;
  usb?: { usbVendorId?: number | undefined; usbProductId?: number | undefined } | undefined;
}

const chart = new LiveChart($("charts"));
let settings: PageSettings;
let streamer: TimeseriesStreamer | undefined;
let session: InstrumentSession | undefined;
let active: Active | undefined = readActive();
let poller: AbortController | undefined;
/** The stream last recorded, whose numbers the queue panel keeps showing after Stop. */
let lastDataId: string | undefined = active?.dataId;
let instrumentsListed = false;

function readActive(): Active | undefined {
  try {
    return JSON.parse(localStorage.getItem(ACTIVE_KEY) ?? "null") ?? undefined;
  } catch {
    return undefined;
  }
}
function writeActive(a: Active | undefined): void {
  active = a;
  if (a) localStorage.setItem(ACTIVE_KEY, JSON.stringify(a));
  else localStorage.removeItem(ACTIVE_KEY);
}

const say = (id: string, text: string) => void ($(id).textContent = text);

// ---- instrument form ----

function fillDrivers(): void {
  const select = $<HTMLSelectElement>("driver");
  select.replaceChildren(
    ...Object.values(DRIVERS).map((d) => {
      const o = document.createElement("option");
      o.value = d.id;
      o.textContent = `${d.label}${d.kind === "polled" ? " (polled)" : ""}`;
      return o;
    }),
  );
  select.addEventListener("change", () => showSerialDefaults(select.value));
  showSerialDefaults(select.value);
}

function showSerialDefaults(driverId: string): void {
  const s = getDriver(driverId).serial;
  $<HTMLInputElement>("baud").value = String(s.baudRate);
  $<HTMLSelectElement>("data-bits").value = String(s.dataBits ?? 8);
  $<HTMLSelectElement>("parity").value = s.parity ?? "none";
  $<HTMLSelectElement>("stop-bits").value = String(s.stopBits ?? 1);
  $<HTMLSelectElement>("flow-control").value = s.flowControl ?? "none";
}

function serialFromForm(): SerialSettings {
  const baud = Number($<HTMLInputElement>("baud").value);
  if (!Number.isInteger(baud) || baud <= 0) throw new Error(`Baud rate must be a whole number above 0, not ${JSON.stringify($<HTMLInputElement>("baud").value)}.`);
  return {
    baudRate: baud,
    dataBits: Number($<HTMLSelectElement>("data-bits").value) as 7 | 8,
    parity: $<HTMLSelectElement>("parity").value as "none" | "even" | "odd",
    stopBits: Number($<HTMLSelectElement>("stop-bits").value) as 1 | 2,
    flowControl: $<HTMLSelectElement>("flow-control").value as "none" | "hardware",
  };
}

function setButtons(): void {
  const connected = session !== undefined;
  const recording = connected && active !== undefined;
  $<HTMLButtonElement>("connect").disabled = connected;
  $<HTMLButtonElement>("simulate").disabled = connected;
  $<HTMLButtonElement>("disconnect").disabled = !connected || recording;
  $<HTMLButtonElement>("start").disabled = !connected || recording || !streamer;
  $<HTMLButtonElement>("stop").disabled = !recording;
}

// ---- sessions ----

async function startSession(transport: Transport, driverId: string, channels: string, command: string): Promise<void> {
  const { channels: names, units } = parseChannels(channels);
  const problems: string[] = [];
  session = new InstrumentSession(transport, getDriver(driverId), {
    channels: names,
    units,
    command,
    onReadings: (readings: Reading[]) => chart.add(readings),
    onProblem: (p: DriverProblem) => {
      problems.unshift(`${new Date(p.t * 1000).toLocaleTimeString()} ${p.kind}: ${p.message}`);
      problems.length = Math.min(problems.length, 3);
      say("serial-problems", `${session?.problems ?? 0} problem(s) so far — latest: ${problems.join(" · ")}`);
    },
  });
  say("serial-status", `Connected: ${transport.description}, driver ${getDriver(driverId).label}.`);
  transport.events?.addEventListener("state", (e) => {
    const state = (e as CustomEvent<{ state: string }>).detail.state;
    const text: Record<string, string> = {
      open: `Connected: ${transport.description}.`,
      disconnected: "The instrument was unplugged. Waiting for it to come back…",
      reconnecting: "Waiting for the instrument to be plugged in again (same USB device)…",
      closed: "Not connected.",
    };
    say("serial-status", text[state] ?? state);
  });
  transport.events?.addEventListener("problem", (e) => {
    const d = (e as CustomEvent<{ name: string; message: string }>).detail;
    say("serial-problems", `${d.name}: ${d.message}`);
  });
  setButtons();
}

async function connectSerial(port?: SerialPort): Promise<void> {
  if (!("serial" in navigator)) {
    say("serial-status", "This browser has no Web Serial (use Chrome or Edge on a desktop, over https or localhost). Try the simulated instrument.");
    return;
  }
  const driverId = $<HTMLSelectElement>("driver").value;
  const serial = serialFromForm();
  const chosen = port ?? (await navigator.serial.requestPort());
  const transport = await serialTransport(chosen, serial);
  await startSession(transport, driverId, $<HTMLInputElement>("channels").value, $<HTMLInputElement>("command").value);
}

async function connectSimulated(): Promise<void> {
  const driverId = $<HTMLSelectElement>("driver").value;
  await startSession(simulatedTransport(driverId), driverId, $<HTMLInputElement>("channels").value, $<HTMLInputElement>("command").value);
}

async function disconnect(): Promise<void> {
  const s = session;
  session = undefined;
  await s?.close();
  say("serial-status", "Not connected.");
  setButtons();
}

// ---- the stream ----

async function start(): Promise<void> {
  if (!streamer || !session) return;
  const instrument = $<HTMLSelectElement>("growth-instrument").value;
  say("stream-status", "Starting…");
  const dataId = await streamer.initialize({
    streamName: $<HTMLInputElement>("stream-name").value.trim() || `${session.driver.label} ${new Date().toLocaleString()}`,
    ...($<HTMLInputElement>("physical-sample").value.trim() ? { physicalSample: $<HTMLInputElement>("physical-sample").value.trim() } : {}),
    ...(instrument ? { synthSourceId: Number(instrument) } : {}),
    ...($<HTMLInputElement>("project").value.trim() ? { projectId: $<HTMLInputElement>("project").value.trim() } : {}),
  });
  const conn = session.transport.events as { info?: SerialPortInfo } | undefined;
  writeActive({
    dataId,
    driverId: session.driver.id,
    serial: serialFromForm(),
    channels: $<HTMLInputElement>("channels").value,
    command: $<HTMLInputElement>("command").value,
    simulated: session.transport.events === undefined,
    usb: conn?.info,
  });
  resumeUpload(dataId);
}

function resumeUpload(dataId: string): void {
  if (!streamer || !session) return;
  lastDataId = dataId;
  const writer = streamer.writable(dataId, { maxLatencyMs: 1000, finalizeOnClose: false }).getWriter();
  session.attach(writer);
  say("stream-status", `Streaming to ${dataId}.`);
  startPolling(dataId);
  setButtons();
}

async function stop(): Promise<void> {
  if (!streamer || !active) return;
  const dataId = active.dataId;
  say("stream-status", "Stopping: sending what is left…");
  const writer = session?.detach();
  await writer?.close(); // seals the open chunks into the outbox
  const result = await streamer.finalize(dataId, { timeoutMs: 10_000 });
  writeActive(undefined);
  poller?.abort();
  say(
    "stream-status",
    result.status === "finalized"
      ? `Stopped: stream ${dataId} is finalized.${result.quarantined.length ? ` ${result.quarantined.length} slice(s) were refused by the platform (see the queue).` : ""}`
      : `Stopped — finalize deferred: ${result.unsent.length} slice(s) are still waiting to be sent. The stream is finalized automatically once they are, even after a reload.`,
  );
  setButtons();
}

function startPolling(dataId: string): void {
  poller?.abort();
  const controller = new AbortController();
  poller = controller;
  const s = streamer;
  if (!s) return;
  void (async () => {
    for await (const snap of pollTimeseries(s.client, dataId, { intervalMs: 1000, lastN: 600, signal: controller.signal, onError: () => {} })) {
      chart.setServer(snap.timeseries);
    }
  })();
}

// ---- settings and the streamer ----

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

async function makeStreamer(): Promise<void> {
  const old = streamer;
  streamer = undefined;
  instrumentsListed = false;
  await old?.close();
  if (!settings.apiKey) {
    say("settings-status", "Enter the API key of your Atomscale account to stream.");
    setButtons();
    return;
  }
  const s = new TimeseriesStreamer({
    apiKey: settings.apiKey,
    endpoint: settings.endpoint,
    pointsPerChunk: 100,
    outbox: new IndexedDbOutbox({ name: OUTBOX_NAME }),
  });
  streamer = s;
  await s.ready;
  const banner = pendingBannerText(s.outbox.slices());
  $("banner").hidden = !banner;
  if (banner) $("banner").textContent = banner;
  s.addEventListener("state", (e) => {
    refreshQueue();
    const connection = (e as CustomEvent<{ connection?: string }>).detail.connection;
    if (!instrumentsListed && (connection === "idle" || connection === "sending")) listInstruments(s);
  });
  s.addEventListener("quarantine", () => refreshQueue());
  say("settings-status", `Streaming to ${settings.endpoint}.`);
  listInstruments(s);
  setButtons();
}

/** Fill the growth instrument select; tried again when the platform becomes reachable. */
function listInstruments(s: TimeseriesStreamer): void {
  s.client
    .listGrowthInstruments()
    .then((instruments) => {
      if (s !== streamer) return;
      instrumentsListed = true;
      const select = $<HTMLSelectElement>("growth-instrument");
      const none = document.createElement("option");
      none.value = "";
      none.textContent = "(none)";
      select.replaceChildren(
        none,
        ...instruments.map((i) => {
          const o = document.createElement("option");
          o.value = String(i.synthSourceId);
          o.textContent = `${i.sourceName} (${i.synthSourceType})`;
          return o;
        }),
      );
      say("settings-status", `Streaming to ${settings.endpoint}.`);
    })
    .catch((e: Error) => say("settings-status", `Streaming to ${settings.endpoint} — could not list growth instruments yet: ${e.message}`));
}

function refreshQueue(): void {
  const s = streamer;
  let stats: Partial<StreamStats> | undefined;
  const shown = active?.dataId ?? lastDataId;
  if (s && shown) stats = s.stats(shown);
  else if (s) {
    const pending = s.outbox.slices().filter((x) => !x.quarantined);
    stats = { connection: s.stats("").connection, pendingSlices: pending.length, pendingBytes: pending.reduce((n, x) => n + x.bytes, 0), storage: s.outbox.storageInfo() };
  }
  renderQueue($("queue"), stats);
  renderQuarantine($("quarantine-list"), s ? s.outbox.slices(shown).filter((x) => x.quarantined) : []);
  $("auth-problem").hidden = stats?.connection !== "auth-paused";
  if (s && $("banner").hidden === false && s.outbox.slices().every((x) => x.quarantined)) $("banner").hidden = true;
}

function showNetwork(): void {
  const online = navigator.onLine;
  $("network").textContent = online ? "online" : "offline — readings are kept in this browser";
  $("network").classList.toggle("offline", !online);
  if (online) streamer?.retryNow();
}

// ---- wiring ----

function guard(fn: () => Promise<void>, statusId: string) {
  return () =>
    fn().catch((e: Error) => {
      if (e?.name === "NotFoundError") return say(statusId, "No port was chosen.");
      say(statusId, e?.message ?? String(e));
    });
}

async function main(): Promise<void> {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("./sw.js").catch(() => {});
  fillDrivers();
  const saved = loadSettings(localStorage, sessionStorage);
  const fromEmulator = saved ? undefined : await emulatorDefaults();
  // Kept for this tab's session, so that a reload during an outage (no /emulator/config) still has them.
  if (fromEmulator) saveSettings(fromEmulator, localStorage, sessionStorage);
  settings = saved ?? fromEmulator ?? { endpoint: "https://api.atomscale.ai", apiKey: "", remember: false };
  $<HTMLInputElement>("endpoint").value = settings.endpoint;
  $<HTMLInputElement>("api-key").value = settings.apiKey;
  $<HTMLInputElement>("remember").checked = settings.remember;

  $("connect").addEventListener("click", guard(() => connectSerial(), "serial-status"));
  $("simulate").addEventListener("click", guard(connectSimulated, "serial-status"));
  $("disconnect").addEventListener("click", guard(disconnect, "serial-status"));
  $("start").addEventListener("click", guard(start, "stream-status"));
  $("stop").addEventListener("click", guard(stop, "stream-status"));
  $("save-settings").addEventListener(
    "click",
    guard(async () => {
      settings = {
        endpoint: normalizeEndpoint($<HTMLInputElement>("endpoint").value),
        apiKey: $<HTMLInputElement>("api-key").value.trim(),
        remember: $<HTMLInputElement>("remember").checked,
      };
      saveSettings(settings, localStorage, sessionStorage);
      await makeStreamer();
      if (active && session) resumeUpload(active.dataId);
    }, "settings-status"),
  );
  $("use-new-key").addEventListener("click", () => {
    const key = $<HTMLInputElement>("new-key").value.trim();
    if (!key || !streamer) return;
    settings = { ...settings, apiKey: key };
    saveSettings(settings, localStorage, sessionStorage);
    $<HTMLInputElement>("api-key").value = key;
    streamer.setApiKey(key);
    refreshQueue();
  });
  addEventListener("online", showNetwork);
  addEventListener("offline", showNetwork);
  showNetwork();

  await makeStreamer();

  // A stream recorded before a reload: reconnect to the instrument and go on.
  if (active) {
    const a = active;
    $<HTMLSelectElement>("driver").value = a.driverId;
    $<HTMLInputElement>("baud").value = String(a.serial.baudRate);
    $<HTMLInputElement>("channels").value = a.channels;
    $<HTMLInputElement>("command").value = a.command;
    say("stream-status", `Resuming stream ${a.dataId}…`);
    try {
      if (a.simulated) await connectSimulated();
      else if ("serial" in navigator) {
        const ports = await navigator.serial.getPorts();
        const port = ports.find((p) => {
          const i = p.getInfo();
          return i.usbVendorId === a.usb?.usbVendorId && i.usbProductId === a.usb?.usbProductId;
        });
        if (port) await connectSerial(port);
        else say("serial-status", "The instrument of the running stream is not plugged in: connect it to go on, or press Stop.");
      }
      if (session) resumeUpload(a.dataId);
    } catch (e) {
      say("serial-status", (e as Error).message);
    }
    setButtons();
    $<HTMLButtonElement>("stop").disabled = false;
  }
  // A granted instrument plugged in later (no session yet): connect to it if it belongs to the running stream.
  if ("serial" in navigator) {
    navigator.serial.addEventListener("connect", (e) => {
      const port = e.target as SerialPort;
      const i = port.getInfo();
      if (!session && active && !active.simulated && i.usbVendorId === active.usb?.usbVendorId && i.usbProductId === active.usb?.usbProductId) {
        void connectSerial(port).then(() => active && resumeUpload(active.dataId));
      }
    });
  }
  setInterval(refreshQueue, 500);
  refreshQueue();
  (window as unknown as { atomscalePage: object }).atomscalePage = { chart, stats: () => (active && streamer ? streamer.stats(active.dataId) : undefined), active: () => active };
}

void main();
