/**
 * One instrument on the page: its port (or a simulated instrument), driver, serial settings, channel names,
 * connection state, raw input. Once connected, the settings fold into a one-line summary. Each card
 * connects and reconnects on its own: one unplugged instrument does not stop the others.
 */
import type { Reading } from "atomscale-stream";
import { getDriver, type DriverProblem, type SerialSettings } from "atomscale-stream/serial";
import { clock, h } from "./dom.ts";
import { driverOptions, fieldsFor } from "./driver-fields.ts";
import { showError } from "./errors.ts";
import { RawLog, RawView } from "./raw-log.ts";
import { InstrumentSession, serialTransport, simulatedTransport, usbText, type Transport } from "./session.ts";
import { parseChannels } from "./settings.ts";
import { SourceForm } from "./source-form.ts";

export type UsbIds = { usbVendorId?: number | undefined; usbProductId?: number | undefined };

/** What a card remembers across reloads. */
export interface SourceRecord {
  id: string;
  name: string;
  kind: "serial" | "simulated" | "none";
  driverId: string;
  serial: SerialSettings;
  channels: string;
  /** Driver-specific fields (option → text as typed): command, address, inputs, registers … */
  fields: Record<string, string>;
  usb?: UsbIds | undefined;
}

export type SourceState = "not-connected" | "connecting" | "connected" | "unplugged" | "waiting" | "ended" | "failed";

export interface SourceCardHost {
  /** A batch read by this card; the next one is read once this resolves. */
  readings(card: SourceCard, readings: Reading[]): Promise<void>;
  /** Something a status line or the saved session shows changed. */
  changed(card: SourceCard): void;
  remove(card: SourceCard): void;
  /** Ports already open in other cards (so a restored card takes another port with the same USB ids). */
  portsInUse(): SerialPort[];
}

const STATE_TEXT: Record<SourceState, string> = {
  "not-connected": "Not connected.",
  connecting: "Connecting…",
  connected: "Connected.",
  unplugged: "Unplugged — waiting for it to be plugged in again (same USB device); the other instruments go on.",
  waiting: "Not plugged in: connect it (or plug it in) to go on.",
  ended: "The instrument's input ended.",
  failed: "Could not connect.",
};

const SHORT_STATE_TEXT: Record<SourceState, string> = {
  "not-connected": "not connected",
  connecting: "connecting",
  connected: "connected",
  unplugged: "unplugged, waiting",
  waiting: "not plugged in",
  ended: "input ended",
  failed: "could not connect",
};

export class SourceCard {
  readonly id: string;
  readonly name: string;
  readonly element: HTMLElement;
  readonly raw = new RawLog(300);
  state: SourceState = "not-connected";
  session: InstrumentSession | undefined;
  #record: SourceRecord;
  readonly #host: SourceCardHost;
  readonly #status: HTMLElement;
  readonly #problems: HTMLElement;
  readonly #error: HTMLElement;
  readonly #summary: HTMLElement;
  readonly #notes: HTMLElement;
  readonly #form: SourceForm;
  readonly #connect: HTMLButtonElement;
  readonly #simulate: HTMLButtonElement;
  readonly #disconnect: HTMLButtonElement;
  readonly #remove: HTMLButtonElement;
  readonly #rawView: RawView;
  #headerNoted = false;
  #lastProblem = "";

  constructor(record: SourceRecord, host: SourceCardHost) {
    this.id = record.id;
    this.name = record.name;
    this.#record = record;
    this.#host = host;
    const label = (what: string) => `${this.name} ${what}`;
    this.#status = h("p", { role: "status", "aria-label": label("status"), className: "source-state" }, STATE_TEXT["not-connected"]);
    this.#problems = h("p", { className: "problems", "aria-label": label("problems") });
    this.#error = h("div", { className: "error", role: "alert", hidden: true });
    this.#summary = h("p", { className: "summary", "aria-label": label("summary"), hidden: true });
    this.#notes = h("p", { className: "note", "aria-label": label("notes") });
    this.#form = new SourceForm(label("settings"), record);
    this.#connect = h("button", { type: "button", onclick: () => void this.connect() }, "Connect");
    this.#simulate = h("button", { type: "button", className: "secondary", onclick: () => void this.simulate() }, "Use simulated instrument");
    this.#disconnect = h("button", { type: "button", className: "secondary", onclick: () => void this.disconnect() }, "Disconnect");
    this.#remove = h("button", { type: "button", className: "secondary", onclick: () => void this.disconnect().then(() => host.remove(this)) }, "Remove");
    this.#rawView = new RawView(this.raw, label("raw input"));
    this.element = h(
      "section",
      { className: "source", "aria-label": this.name, dataset: { source: this.id } },
      h("div", { className: "source-head" }, h("h3", {}, this.name), this.#status),
      this.#summary,
      this.#form.element,
      h("div", { className: "buttons" }, this.#connect, this.#simulate, this.#disconnect, this.#remove),
      this.#error,
      this.#notes,
      this.#problems,
      this.#rawView.element,
    );
    this.#buttons();
  }

  /** The settings as the page saves them. */
  get record(): SourceRecord {
    return this.#record;
  }

  get connected(): boolean {
    return this.session !== undefined;
  }

  /** One line for the status bar. */
  get stateText(): string {
    return `${this.name}: ${SHORT_STATE_TEXT[this.state]}`;
  }

  /** Connect through the browser's port chooser (or to `port`, when the page found it). */
  async connect(port?: SerialPort): Promise<void> {
    await this.#guard("connect the instrument", async () => {
      if (!("serial" in navigator)) {
        throw Object.assign(new Error("This browser has no Web Serial (use Chrome or Edge on a desktop, over https or localhost). Try the simulated instrument."), { name: "WebSerialMissing" });
      }
      const record = this.#form.read(this.#record, "serial");
      const chosen = port ?? (await navigator.serial.requestPort());
      this.#set("connecting");
      const transport = await serialTransport(chosen, record.serial);
      this.#record = { ...record, usb: transport.connection?.info };
      this.#start(transport);
    });
  }

  async simulate(): Promise<void> {
    await this.#guard("start the simulated instrument", async () => {
      const record = this.#form.read(this.#record, "simulated");
      this.#record = { ...record, usb: undefined };
      this.#start(simulatedTransport(record.driverId, driverOptions(record.driverId, record.fields)));
    });
  }

  /** After a reload: reconnect as before (the same USB device, or the simulator). */
  async restore(): Promise<void> {
    const r = this.#record;
    if (r.kind === "simulated") return this.simulate();
    if (r.kind !== "serial" || !("serial" in navigator)) return;
    const port = await this.findPort();
    if (port) await this.connect(port);
    else this.#set("waiting");
  }

  /** A granted, present port with this card's USB ids that no other card uses. */
  async findPort(candidate?: SerialPort): Promise<SerialPort | undefined> {
    const usb = this.#record.usb;
    if (this.#record.kind !== "serial" || usb?.usbVendorId === undefined) return undefined;
    const used = new Set(this.#host.portsInUse());
    const ports = candidate ? [candidate] : await navigator.serial.getPorts();
    return ports.find((p) => {
      const i = p.getInfo();
      return !used.has(p) && i.usbVendorId === usb.usbVendorId && i.usbProductId === usb.usbProductId;
    });
  }

  /** The port this card has open now (after a reconnection, a new object). */
  get port(): SerialPort | undefined {
    // The library types the port with its own Web Serial shapes; in the page it is the browser's port.
    return this.session?.transport.connection?.port as SerialPort | undefined;
  }

  #start(transport: Transport): void {
    const driver = getDriver(this.#record.driverId);
    const { channels, units } = parseChannels(this.#record.channels);
    this.#headerNoted = false;
    let session: InstrumentSession;
    try {
      session = new InstrumentSession(transport, driver, {
        channels,
        units,
        options: driverOptions(this.#record.driverId, this.#record.fields),
        raw: this.raw,
        onReadings: (readings) => {
          this.#noteHeader(channels, readings);
          return this.#host.readings(this, readings);
        },
        onProblem: (p) => this.#problem(p),
        onInfo: (info) => {
          if (info.configured?.length && info.columns) this.#headerWins(info.columns.filter((c) => !channels.includes(c)));
        },
      });
    } catch (error) {
      void transport.close();
      throw error;
    }
    this.session = session;
    const conn = transport.connection;
    conn?.addEventListener("state", (e) => {
      const state = e.detail.state;
      if (state === "open") this.#set("connected");
      else if (state === "disconnected" || state === "reconnecting") {
        if (this.state !== "unplugged") this.raw.note(Date.now() / 1000, "The instrument was unplugged (NetworkError).");
        this.#set("unplugged");
      }
    });
    conn?.addEventListener("problem", (e) => {
      const d = e.detail;
      this.raw.note(Date.now() / 1000, `${d.name}: ${d.message}`);
      this.#lastProblem = `${clock(Date.now() / 1000)} ${d.name}: ${d.message}`;
      this.#showProblems();
    });
    void session.done.then(
      () => {
        if (this.session === session) {
          this.session = undefined;
          this.#set("ended");
        }
      },
      (error: unknown) => {
        if (this.session === session) {
          this.session = undefined;
          this.#set("failed");
          showError(this.#error, error, "read the instrument");
        }
      },
    );
    this.#set("connected");
  }

  #noteHeader(configured: string[], readings: Reading[]): void {
    if (this.#headerNoted || configured.length === 0) return;
    const own = [...new Set(readings.map((r) => r.channel))].filter((c) => !configured.includes(c));
    if (own.length > 0) this.#headerWins(own);
  }

  #headerWins(own: string[]): void {
    if (this.#headerNoted || own.length === 0) return;
    this.#headerNoted = true;
    this.#notesText(`The instrument names its own channels (${own.join(", ")}): its header wins over the Channels field, which names only the columns the instrument leaves unnamed.`);
  }

  #notesText(text: string): void {
    const prior = this.#notes.textContent ?? "";
    this.#notes.textContent = prior.includes(text) ? prior : `${prior}${prior ? " " : ""}${text}`;
  }

  /** Told by the page when one of this card's channels is recorded under another name. */
  noteRenamed(channel: string, renamed: string, owner: string): void {
    this.#notesText(`"${channel}" is already sent by ${owner}: this instrument's is recorded as "${renamed}".`);
  }

  #problem(p: DriverProblem): void {
    this.#lastProblem = `${clock(p.t)} ${p.kind}: ${p.message}`;
    this.#showProblems();
  }

  #showProblems(): void {
    const n = this.session?.problems ?? 0;
    this.#problems.textContent = this.#lastProblem ? `${n} problem${n === 1 ? "" : "s"} so far — latest: ${this.#lastProblem}` : "";
  }

  async disconnect(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    await s?.close();
    this.#record = { ...this.#record, kind: "none" };
    this.#set("not-connected");
  }

  async #guard(doing: string, fn: () => Promise<void>): Promise<void> {
    showError(this.#error, undefined, doing);
    try {
      await fn();
    } catch (error) {
      if (!this.session) this.#set(this.state === "waiting" ? "waiting" : "failed");
      showError(this.#error, error, doing);
    }
  }

  #set(state: SourceState): void {
    this.state = state;
    const description = this.session?.transport.description;
    this.#status.textContent = state === "connected" && description ? `Connected: ${description}, driver ${getDriver(this.#record.driverId).label}.` : STATE_TEXT[state];
    this.element.dataset.state = state;
    this.#summary.hidden = !this.session;
    if (this.session) this.#summary.textContent = this.#summaryText();
    this.#form.element.hidden = Boolean(this.session);
    this.#form.element.disabled = Boolean(this.session);
    this.#buttons();
    this.#host.changed(this);
  }

  #summaryText(): string {
    const r = this.#record;
    const s = r.serial;
    const line = `${s.baudRate} ${s.dataBits ?? 8}${(s.parity ?? "none")[0]!.toUpperCase()}${s.stopBits ?? 1}`;
    const where = r.kind === "simulated" ? "simulated" : `${line}${usbText(r.usb)}`;
    const extra = fieldsFor(r.driverId)
      .filter((f) => r.fields[f.option]?.trim())
      .map((f) => `${f.label.toLowerCase()} ${r.fields[f.option]!.trim()}`)
      .join(", ");
    return `${getDriver(r.driverId).label} · ${where}${extra ? ` · ${extra}` : ""}${r.channels ? ` · channels ${r.channels}` : ""}`;
  }

  #buttons(): void {
    const busy = this.session !== undefined || this.state === "connecting";
    // Connected: only what makes sense now (Disconnect, Remove); otherwise the ways to connect.
    this.#connect.hidden = this.#simulate.hidden = Boolean(this.session);
    this.#connect.disabled = this.#simulate.disabled = busy;
    this.#disconnect.hidden = !this.session;
  }

  renderRaw(): void {
    this.#rawView.render();
  }
}

/** A fresh record for "Add instrument". */
export function newSourceRecord(existing: readonly SourceRecord[], driverId = "lines"): SourceRecord {
  const used = new Set(existing.map((r) => r.id));
  let n = existing.length + 1;
  while (used.has(`source-${n}`)) n++;
  return { id: `source-${n}`, name: `Instrument ${n}`, kind: "none", driverId, serial: getDriver(driverId).serial, channels: "", fields: {} };
}
