/**
 * The page's link to the platform: one TimeseriesStreamer over the page's IndexedDB outbox, and what the
 * status bar needs from it — the uploader's connection state and since when, the last upload error.
 */
import { TimeseriesStreamer, type StreamStats } from "atomscale-stream";
import { IndexedDbOutbox } from "atomscale-stream/browser";
import type { PageSettings } from "./settings.ts";

export const OUTBOX_NAME = "atomscale-stream-demo";

/** The platform's id of a stream (the streamer's `platformDataId`, once the offline-start streamer has it). */
export function platformIdOf(streamer: TimeseriesStreamer, dataId: string): string | undefined {
  const method = (streamer as unknown as { platformDataId?: (id: string) => string | null | undefined }).platformDataId;
  if (typeof method !== "function") return dataId; // a streamer without offline start: its ids are the platform's
  return method.call(streamer, dataId) ?? undefined;
}

export class Uplink {
  readonly streamer: TimeseriesStreamer;
  readonly endpoint: string;
  connection: StreamStats["connection"] = "idle";
  /** When the connection state last changed (ms since epoch). */
  since = Date.now();
  lastError: string | undefined;
  readonly #onChange: () => void;

  private constructor(streamer: TimeseriesStreamer, endpoint: string, onChange: () => void) {
    this.streamer = streamer;
    this.endpoint = endpoint;
    this.#onChange = onChange;
    streamer.addEventListener("connection", (e) => {
      const connection = e.detail.connection;
      if (connection !== this.connection) {
        this.connection = connection;
        this.since = Date.now();
      }
      this.#onChange();
    });
    streamer.addEventListener("error", (e) => {
      this.lastError = e.detail.error.message;
      this.#onChange();
    });
    streamer.addEventListener("state", () => this.#onChange());
    streamer.addEventListener("storage", () => this.#onChange());
    streamer.addEventListener("quarantine", () => this.#onChange());
    streamer.addEventListener("progress", () => this.#onChange());
    // A stream started offline got its platform id (the streamer's offline start).
    streamer.addEventListener("initialized", () => this.#onChange());
  }

  static async open(settings: PageSettings, onChange: () => void): Promise<Uplink> {
    const streamer = new TimeseriesStreamer({
      apiKey: settings.apiKey,
      endpoint: settings.endpoint,
      pointsPerChunk: 100,
      outbox: new IndexedDbOutbox({ name: OUTBOX_NAME }),
    });
    await streamer.ready;
    return new Uplink(streamer, settings.endpoint, onChange);
  }

  async close(): Promise<void> {
    await this.streamer.close();
  }
}
