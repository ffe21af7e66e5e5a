/**
 * The instruments: any number of source cards, "Add instrument", all feeding one stream. Channel names
 * are merged through the ChannelRegistry (a clash is prefixed with the instrument's name). Cards waiting
 * for their USB device connect when it is plugged in.
 */
import type { Reading } from "atomscale-stream";
import { ChannelRegistry, type RegistrySnapshot } from "./channel-registry.ts";
import { h } from "./dom.ts";
import { newSourceRecord, SourceCard, type SourceRecord } from "./source-card.ts";

export interface SourcesHost {
  /** Readings with the stream's channel names; the card reads on once this resolves. */
  readings(source: SourceCard, readings: Reading[]): Promise<void>;
  /** The cards, their settings or states changed (save the session, update the status bar). */
  changed(): void;
  /** A card was removed: the stream's names of the channels it sent (its charts go with it). */
  removed(source: SourceCard, channels: string[]): void;
}

export class SourcesPanel {
  readonly element: HTMLElement;
  readonly registry: ChannelRegistry;
  readonly #cards: SourceCard[] = [];
  readonly #list: HTMLElement;
  readonly #host: SourcesHost;
  /** While a stream is recorded, a removed instrument's channel names stay taken (a channel never changes owner mid-stream). */
  recording = false;

  constructor(host: SourcesHost, channels: RegistrySnapshot) {
    this.#host = host;
    this.registry = new ChannelRegistry((clash) => {
      const card = this.#cards.find((c) => c.id === clash.sourceId);
      const owner = this.#cards.find((c) => c.id === clash.owner)?.name ?? "another instrument";
      card?.noteRenamed(clash.channel, clash.renamed, owner);
    }, channels);
    this.#list = h("div", { className: "sources" });
    this.element = h(
      "section",
      { "aria-labelledby": "sources-title" },
      h("div", { className: "panel-head" }, h("h2", { id: "sources-title" }, "Instruments"), h("button", { type: "button", onclick: () => this.add() }, "Add instrument")),
      this.#list,
    );
    if ("serial" in navigator) {
      // A granted device plugged in while its card waits for it (after a reload, or unplugged before Connect).
      navigator.serial.addEventListener("connect", (e) => {
        const port = e.target as SerialPort;
        void (async () => {
          for (const card of this.#cards) {
            if (card.state !== "waiting") continue;
            const mine = await card.findPort(port);
            if (mine) return card.connect(mine);
          }
        })();
      });
    }
  }

  get cards(): readonly SourceCard[] {
    return this.#cards;
  }

  records(): SourceRecord[] {
    return this.#cards.map((c) => c.record);
  }

  /** "Add instrument": a new card (or one restored from a saved record). */
  add(record?: SourceRecord): SourceCard {
    const card = new SourceCard(record ?? newSourceRecord(this.records()), {
      readings: (c, readings) => this.#host.readings(c, this.registry.map(c.id, c.name, readings)),
      changed: () => this.#host.changed(),
      remove: (c) => this.remove(c),
      portsInUse: () => this.#cards.map((c) => c.port).filter((p): p is SerialPort => p !== undefined),
    });
    this.#cards.push(card);
    this.#list.append(card.element);
    this.#host.changed();
    return card;
  }

  remove(card: SourceCard): void {
    const i = this.#cards.indexOf(card);
    if (i < 0) return;
    this.#cards.splice(i, 1);
    card.element.remove();
    const channels = this.registry.channelsOf(card.id);
    if (!this.recording) this.registry.release(card.id);
    this.#host.removed(card, channels);
    this.#host.changed();
  }

  /** Reconnect every card as it was (one at a time: each takes its own port). */
  async restore(): Promise<void> {
    for (const card of this.#cards) await card.restore();
  }

  renderRaw(): void {
    for (const card of this.#cards) card.renderRaw();
  }
}
