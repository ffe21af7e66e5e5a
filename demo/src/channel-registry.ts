/**
 * Several instruments, one stream: channel names are merged, and a name already sent by another instrument
 * is prefixed — `temperature` from Instrument 2, while Instrument 1 sends `temperature`, is recorded as
 * `temperature (Instrument 2)`. The first instrument to send a name keeps it. An instrument's names stay
 * what they were first assigned for as long as it is on the page, so a stream's channel never changes owner.
 */
import type { Reading } from "atomscale-stream";

export interface ChannelClash {
  sourceId: string;
  channel: string;
  renamed: string;
  owner: string;
}

export interface RegistrySnapshot {
  /** [instrument's own name, name in the stream] per source id. */
  assigned: Record<string, Array<[string, string]>>;
}

export class ChannelRegistry {
  /** Stream channel name → source id. */
  readonly #owners = new Map<string, string>();
  /** Source id → (its channel name → the stream's). */
  readonly #assigned = new Map<string, Map<string, string>>();
  readonly #onClash: (clash: ChannelClash) => void;

  constructor(onClash: (clash: ChannelClash) => void = () => {}, snapshot?: RegistrySnapshot) {
    this.#onClash = onClash;
    for (const [sourceId, pairs] of Object.entries(snapshot?.assigned ?? {})) {
      const mine = new Map<string, string>();
      for (const [own, stream] of pairs) {
        mine.set(own, stream);
        this.#owners.set(stream, sourceId);
      }
      this.#assigned.set(sourceId, mine);
    }
  }

  /** The stream's name for `channel` from this source (assigned on first use). */
  nameFor(sourceId: string, sourceName: string, channel: string): string {
    let mine = this.#assigned.get(sourceId);
    if (!mine) this.#assigned.set(sourceId, (mine = new Map()));
    const known = mine.get(channel);
    if (known !== undefined) return known;
    let name = channel;
    const owner = this.#owners.get(name);
    if (owner !== undefined && owner !== sourceId) {
      name = `${channel} (${sourceName})`;
      for (let n = 2; this.#owners.has(name) && this.#owners.get(name) !== sourceId; n++) name = `${channel} (${sourceName} ${n})`;
      this.#onClash({ sourceId, channel, renamed: name, owner });
    }
    mine.set(channel, name);
    this.#owners.set(name, sourceId);
    return name;
  }

  /** Readings with the stream's channel names (a new array; the same objects when nothing is renamed). */
  map(sourceId: string, sourceName: string, readings: readonly Reading[]): Reading[] {
    return readings.map((r) => {
      const name = this.nameFor(sourceId, sourceName, r.channel);
      return name === r.channel ? r : { ...r, channel: name };
    });
  }

  /** The stream's channel names of one source. */
  channelsOf(sourceId: string): string[] {
    return [...(this.#assigned.get(sourceId)?.values() ?? [])];
  }

  /** Forget a source (removed from the page): its names become free. */
  release(sourceId: string): void {
    for (const name of this.#assigned.get(sourceId)?.values() ?? []) if (this.#owners.get(name) === sourceId) this.#owners.delete(name);
    this.#assigned.delete(sourceId);
  }

  snapshot(): RegistrySnapshot {
    const assigned: RegistrySnapshot["assigned"] = {};
    for (const [id, mine] of this.#assigned) assigned[id] = [...mine];
    return { assigned };
  }
}
