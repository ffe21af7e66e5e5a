/**
 * Whether an IndexedDbOutbox is alone on its database: no other outbox (another tab, a worker, a second
 * instance in the same page) has it open. Outboxes of one database greet each other on a
 * BroadcastChannel named after it; one that hears nobody for {@link PEERS_QUIET_MS} after its greeting
 * takes itself to be alone, and stops for good the moment it hears another one (a newcomer greets before
 * it reads or writes the database, so it is heard long before its first send could matter).
 *
 * Only the send cache (indexeddb-send-cache.ts) depends on it: an outbox alone knows that the version it
 * put is the one stored. Claims, reads of what others put and deletes never depend on it.
 */

/** How long an outbox waits for an answer to its greeting before it takes itself to be alone. */
export const PEERS_QUIET_MS = 100;

type Message = { type: "hello" | "here" };

export class IndexedDbPeers {
  readonly #channelName: string;
  readonly #onShared: () => void;
  #channel: BroadcastChannel | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #state: "unknown" | "alone" | "shared" = "unknown";

  /** `onShared` is called once, when another outbox on the same database is first heard. */
  constructor(databaseName: string, onShared: () => void) {
    this.#channelName = `atomscale-stream:indexeddb:${databaseName}`;
    this.#onShared = onShared;
  }

  /** True once nobody answered the greeting and nobody has been heard since. */
  get alone(): boolean {
    return this.#state === "alone";
  }

  /** True once another outbox on the database has been heard (or this one closed). */
  get shared(): boolean {
    return this.#state === "shared";
  }

  /** Greet the others (at open). Without BroadcastChannel an outbox never takes itself to be alone. */
  start(): void {
    if (this.#channel || this.#state === "shared" || typeof BroadcastChannel !== "function") return;
    const channel = new BroadcastChannel(this.#channelName);
    this.#channel = channel;
    channel.onmessage = (event: MessageEvent<Message>) => {
      if (event.data?.type === "hello") channel.postMessage({ type: "here" } satisfies Message);
      this.#shared();
    };
    // Outside browsers (an IndexedDB shim under Node or Deno) the channel must not keep the process alive.
    (channel as { unref?: () => void }).unref?.();
    channel.postMessage({ type: "hello" } satisfies Message);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#state === "unknown") this.#state = "alone";
    }, PEERS_QUIET_MS);
  }

  #shared(): void {
    if (this.#state === "shared") return;
    this.#state = "shared";
    this.#onShared();
  }

  /** Stop listening (the outbox closes); it is then not alone any more. */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#channel?.close();
    this.#channel = undefined;
    this.#state = "shared";
  }
}
