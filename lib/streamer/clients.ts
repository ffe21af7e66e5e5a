/**
 * The streamer's clients: one AtomscaleClient per stream path prefix on its endpoint, all with one API key
 * (replaced together after a 401/403). Each stream's requests go through the client of the prefix it was
 * created on.
 */
import { AtomscaleClient, type AtomscaleClientOptions, type StreamPrefix } from "../api/client.js";
import type { Clients } from "./platform-initialize.js";

export class StreamClients implements Clients {
  /** A prefix the caller forced (`streamPrefix`), or undefined: try `/tool-state`, then `/metrology`. */
  readonly forced: StreamPrefix | undefined;
  readonly #options: AtomscaleClientOptions;
  readonly #clients = new Map<StreamPrefix, AtomscaleClient>();

  constructor(options: Omit<AtomscaleClientOptions, "streamPrefix">, forced: StreamPrefix | undefined) {
    this.#options = { ...options };
    this.forced = forced;
  }

  /** The client of a prefix (made on first use). */
  of(prefix: StreamPrefix): AtomscaleClient {
    let client = this.#clients.get(prefix);
    if (!client) this.#clients.set(prefix, (client = new AtomscaleClient({ ...this.#options, streamPrefix: prefix })));
    return client;
  }

  /** Replace the API key of every client, and of those made later. */
  setApiKey(apiKey: string): void {
    for (const client of this.#clients.values()) client.setApiKey(apiKey);
    this.#options.apiKey = apiKey;
  }
}
