/**
 * The stream's life on the page: Start (offline too), recording every instrument's readings into it, Stop
 * (finalize, said honestly), going on after a reload, the CSV of the current or last stream, and the
 * platform's read-back for the charts.
 */
import { persistOnPageHide, pollTimeseries, type FinalizeResult, type Reading, type StreamStats } from "atomscale-stream";
import type { ChartPanel } from "./chart-panel.ts";
import { h } from "./dom.ts";
import type { ActiveStream, PageSession } from "./page-store.ts";
import { RecordStore } from "./record-store.ts";
import { Recording, toCsv, type RecordedReading } from "./recording.ts";
import type { SourcesPanel } from "./sources-panel.ts";
import type { StreamPanel } from "./stream-panel.ts";
import { platformIdOf, type Uplink } from "./uplink.ts";

export interface RecorderHost {
  uplink(): Uplink | undefined;
  readonly sources: SourcesPanel;
  readonly charts: ChartPanel;
  readonly panel: StreamPanel;
  /** Save the session and refresh what the page shows. */
  changed(): void;
}

/** What Stop says, for every finalize outcome (the offline-start streamer adds corrupt and unverified slices). */
export function stopText(result: FinalizeResult): string {
  const r = result as FinalizeResult & { corrupt?: unknown[]; unverified?: unknown[] };
  const status: string = r.status;
  const refused = r.quarantined.length;
  const corrupt = r.corrupt?.length ?? 0;
  const extra = [
    refused ? `${refused} slice(s) were refused by the platform (see the upload queue).` : "",
    corrupt ? `${corrupt} slice(s) could not be read back from this browser's storage and were set aside.` : "",
  ].filter(Boolean);
  if (status === "finalized") return [`Stopped: the stream is finalized on the platform.`, ...extra].join(" ");
  if (status === "unverified") {
    return [`Stopped, but the platform's copy still differs from what was sent (${r.unverified?.length ?? 0} channel(s)): the stream is not finalized. The data is kept in this browser.`, ...extra].join(" ");
  }
  return [`Stopped. ${r.unsent.length} slice(s) are still waiting to be sent; the stream is finalized by itself once they are, even after a reload.`, ...extra].join(" ");
}

export class StreamRecorder {
  active: ActiveStream | undefined;
  /** The stream recorded last (the current one while recording): its CSV stays downloadable after Stop. */
  last: { dataId: string; name: string; recording?: Recording | undefined; count: number } | undefined;
  busy = false;
  #recording: Recording | undefined;
  /** Switches the page-lifecycle sending of the current writable off. */
  #offPageHide: (() => void) | undefined;
  readonly #store = new RecordStore();
  readonly #host: RecorderHost;
  #poller: AbortController | undefined;
  #polledId: string | undefined;
  #polledPrefix: string | undefined;

  constructor(host: RecorderHost, saved: Pick<PageSession, "active" | "last">) {
    this.#host = host;
    this.active = saved.active;
    this.last = saved.last ? { ...saved.last, count: 0 } : undefined;
  }

  get recording(): boolean {
    return this.#recording !== undefined;
  }

  /** Readings of one instrument: into the stream while one is recorded. */
  async write(source: string, readings: Reading[]): Promise<void> {
    const r = this.#recording;
    if (r && !r.closed) await r.write(source, readings);
  }

  /** The stream shown in the queue panel and read back: the current one, else the last one. */
  get shownId(): string | undefined {
    return this.active?.dataId ?? this.last?.dataId;
  }

  /** Readings recorded in the current or last stream (for the Download button). */
  get count(): number {
    return this.last?.recording?.count ?? this.last?.count ?? 0;
  }

  snapshot(): Pick<PageSession, "active" | "last"> {
    return { active: this.active, last: this.last && { dataId: this.last.dataId, name: this.last.name } };
  }

  /** The sent counter across streamers (reloads, new settings). */
  ackedTotal(stats: StreamStats | undefined): number {
    return (this.active?.ackedBefore ?? 0) + (stats?.ackedPoints ?? 0);
  }

  async start(): Promise<void> {
    const s = this.#host.uplink()?.streamer;
    const panel = this.#host.panel;
    if (!s || this.busy) return;
    this.busy = true;
    panel.error(undefined, "");
    panel.say("Starting…");
    try {
      const names = this.#host.sources.cards.map((c) => c.name).join(", ");
      const options = panel.options(`${names} ${new Date().toLocaleString()}`);
      const dataId = await s.initialize(options);
      this.active = { dataId, name: options.streamName ?? dataId, startedAt: Date.now(), ackedBefore: 0, ackedSeen: 0 };
      this.#host.charts.clearServer();
      this.#record(dataId, 0);
      void this.#store.keepOnly(dataId).catch(() => {});
    } catch (error) {
      panel.say("No stream.");
      panel.error(error, "start the stream");
    } finally {
      this.busy = false;
      this.#host.changed();
    }
  }

  /** A stream recorded before a reload (or before the key was given): go on recording it. */
  async resume(): Promise<void> {
    if (this.last) this.last.count = await this.#store.count(this.last.dataId).catch(() => 0);
    if (!this.active || !this.#host.uplink() || this.#recording) return;
    try {
      this.#record(this.active.dataId, this.last?.dataId === this.active.dataId ? this.last.count : 0);
    } catch (error) {
      this.#host.panel.error(error, `go on with stream "${this.active.name}"`);
      this.active = undefined;
    }
    this.#host.changed();
  }

  /** Send every instrument's readings to this stream from now on (`earlier`: readings recorded before a reload). */
  #record(dataId: string, earlier: number): void {
    const s = this.#host.uplink()!.streamer;
    const panel = this.#host.panel;
    const writable = s.writable(dataId, { maxLatencyMs: 1000, finalizeOnClose: false });
    // The page's lifecycle: a hidden or unloading page sends its open chunks at once (they are durable anyway).
    this.#offPageHide?.();
    this.#offPageHide = persistOnPageHide(writable);
    const writer = writable.getWriter();
    const problem = (what: string) => (error: unknown, points: number) =>
      panel.error(Object.assign(new Error(`${points} reading(s) ${what}: ${(error as Error)?.message ?? error}`), { cause: error }), "keep the latest readings");
    this.#recording = new Recording(dataId, writer, this.#store, { refused: problem("could not be stored for upload"), notCopied: problem("are in the stream but not in the CSV") }, earlier);
    this.last = { dataId, name: this.active?.name ?? dataId, recording: this.#recording, count: earlier };
    this.#host.sources.recording = true;
  }

  async stop(): Promise<void> {
    const s = this.#host.uplink()?.streamer;
    const panel = this.#host.panel;
    if (!s || !this.active || this.busy) return;
    this.busy = true;
    const dataId = this.active.dataId;
    panel.say("Stopping: sending what is left…");
    this.#host.changed();
    try {
      await this.#recording?.close(); // seals the open chunks into the outbox
      this.#recording = undefined;
      this.#offPageHide?.();
      this.#offPageHide = undefined;
      this.#host.sources.recording = false;
      const result = await s.finalize(dataId, { timeoutMs: 10_000 });
      this.active = undefined;
      // The finalized stream's read-back ends here (its id stays polled: it is not started again).
      this.#poller?.abort();
      this.#poller = undefined;
      panel.say(stopText(result));
      if (result.status === "deferred") {
        // The finalize goes on by itself: say so when it lands, unless another stream was started meanwhile.
        const onState = (e: CustomEvent<{ dataId: string; phase: string }>) => {
          if (e.detail.dataId !== dataId || e.detail.phase !== "finalized") return;
          s.removeEventListener("state", onState);
          if (this.active === undefined && this.last?.dataId === dataId) {
            panel.say(stopText({ ...result, status: "finalized", unsent: [] }));
            this.#host.changed();
          }
        };
        s.addEventListener("state", onState);
      }
    } catch (error) {
      panel.error(error, "stop the stream");
    } finally {
      this.busy = false;
      this.#host.changed();
    }
  }

  /** The rows of the stream recorded last, for the CSV. */
  async rows(): Promise<RecordedReading[]> {
    if (!this.last) return [];
    return this.last.recording ? this.last.recording.rows() : this.#store.rows(this.last.dataId);
  }

  async download(): Promise<void> {
    const rows = await this.rows();
    const name = (this.last?.name ?? "readings").replace(/[^\w.-]+/g, "_").slice(0, 80);
    const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: "text/csv" }));
    const a = h("a", { href: url, download: `${name}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /**
   * Read the stream back from the platform (the dashed line) once its platform id is known, through the
   * client of that stream: its endpoint and the path prefix it was created on (a platform that answers
   * only `/metrology` is read back there). Not while every channel it holds is hidden or removed.
   */
  poll(): void {
    const s = this.#host.uplink()?.streamer;
    const shown = this.shownId;
    const platformId = s && shown ? platformIdOf(s, shown) : undefined;
    if (!s || !platformId || !this.#host.charts.readBackWanted()) {
      if (s && platformId && this.#poller) this.resetPoll(); // nothing of it is shown: the requests stop
      return;
    }
    if (platformId === this.#polledId) return;
    this.#poller?.abort();
    const client = s.clientFor(shown!);
    this.#polledId = platformId;
    this.#polledPrefix = client.streamPrefix;
    const controller = new AbortController();
    this.#poller = controller;
    const charts = this.#host.charts;
    void (async () => {
      for await (const snap of pollTimeseries(client, platformId, { intervalMs: 1000, lastN: 600, signal: controller.signal, onError: () => {} })) {
        charts.setServer(snap.timeseries);
      }
    })().catch(() => {});
  }

  /** The read-back being polled (for tests): the platform's id and the path prefix it is read from. */
  get readBack(): { platformId: string; streamPrefix: string | undefined } | undefined {
    return this.#poller && this.#polledId ? { platformId: this.#polledId, streamPrefix: this.#polledPrefix } : undefined;
  }

  /** A new streamer (new settings): read back through it. */
  resetPoll(): void {
    this.#poller?.abort();
    this.#poller = undefined;
    this.#polledId = undefined;
    this.#polledPrefix = undefined;
  }
}
