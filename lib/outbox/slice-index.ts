/**
 * The outbox's index of pending slices, compact: tens of bytes per slice, so that the memory of a long
 * outage stays small (issue 11). Struct of arrays: each put takes the next slot of a few typed arrays
 * (stream-and-channel "lane" id, chunk index, version, createdAt, points, bytes, flags); a key put
 * again takes a new slot and its old one becomes a hole. Slot order is put order, so oldest-first and
 * newest-first scans walk the arrays; holes are squeezed out when they outnumber the live slots.
 * Keys are found through each lane's chunk index → slot table (chunk-slots.ts: 4 bytes a chunk for a
 * contiguous run). `SliceMeta` objects are made on demand and not kept.
 */
import type { SliceKey } from "../types.js";
import { ChunkSlots } from "./chunk-slots.js";
import type { QuarantineInfo, SliceMeta } from "./types.js";

const LIVE = 1;
const COMPLETE = 2;

interface Lane {
  readonly id: number;
  readonly dataId: string;
  readonly channel: string;
  /** chunk index → slot */
  readonly slots: ChunkSlots;
}

export class SliceIndex {
  #lanes: Array<Lane | undefined> = [];
  #freeLanes: number[] = [];
  #laneOf = new Map<string, Map<string, Lane>>();
  #count = 0;
  /** Slots below this are holes (acknowledged from the oldest end, as a backlog drains). */
  #head = 0;
  #used = 0;
  #lane = new Uint32Array(64);
  #chunk = new Float64Array(64);
  #version = new Float64Array(64);
  #created = new Float64Array(64);
  #points = new Uint32Array(64);
  #bytes = new Float64Array(64);
  #flags = new Uint8Array(64);
  /** Quarantine reasons by slot (rare). */
  #quarantined = new Map<number, QuarantineInfo>();
  /** Bumped when slots move (compaction): a scan that sees it change stops. */
  #epoch = 0;

  /** Live slices. */
  get size(): number {
    return this.#count;
  }

  #laneFor(dataId: string, channel: string, create: boolean): Lane | undefined {
    let byChannel = this.#laneOf.get(dataId);
    let lane = byChannel?.get(channel);
    if (lane || !create) return lane;
    if (!byChannel) this.#laneOf.set(dataId, (byChannel = new Map()));
    const id = this.#freeLanes.pop() ?? this.#lanes.length;
    lane = { id, dataId, channel, slots: new ChunkSlots() };
    this.#lanes[id] = lane;
    byChannel.set(channel, lane);
    return lane;
  }

  #dropLaneIfEmpty(lane: Lane): void {
    if (lane.slots.size > 0) return;
    const byChannel = this.#laneOf.get(lane.dataId);
    byChannel?.delete(lane.channel);
    if (byChannel?.size === 0) this.#laneOf.delete(lane.dataId);
    this.#lanes[lane.id] = undefined;
    this.#freeLanes.push(lane.id);
  }

  #slotOf(key: SliceKey): number | undefined {
    return this.#laneFor(key.dataId, key.channel, false)?.slots.get(key.chunkIndex);
  }

  #meta(slot: number): SliceMeta {
    const lane = this.#lanes[this.#lane[slot]!]!;
    const q = this.#quarantined.get(slot);
    return {
      dataId: lane.dataId,
      channel: lane.channel,
      chunkIndex: this.#chunk[slot]!,
      version: this.#version[slot]!,
      points: this.#points[slot]!,
      bytes: this.#bytes[slot]!,
      complete: (this.#flags[slot]! & COMPLETE) !== 0,
      createdAt: this.#created[slot]!,
      ...(q ? { quarantined: q } : {}),
    };
  }

  #write(slot: number, laneId: number, meta: SliceMeta): void {
    this.#lane[slot] = laneId;
    this.#chunk[slot] = meta.chunkIndex;
    this.#version[slot] = meta.version;
    this.#created[slot] = meta.createdAt;
    this.#points[slot] = meta.points;
    this.#bytes[slot] = meta.bytes;
    this.#flags[slot] = LIVE | (meta.complete ? COMPLETE : 0);
    if (meta.quarantined) this.#quarantined.set(slot, meta.quarantined);
    else this.#quarantined.delete(slot);
  }

  get(key: SliceKey): SliceMeta | undefined {
    const slot = this.#slotOf(key);
    return slot === undefined ? undefined : this.#meta(slot);
  }

  has(key: SliceKey): boolean {
    return this.#slotOf(key) !== undefined;
  }

  /** Index `meta` as the newest put (a new key, or a key put again: its old entry goes). Returns the entry it replaced. */
  append(meta: SliceMeta): SliceMeta | undefined {
    const lane = this.#laneFor(meta.dataId, meta.channel, true)!;
    const old = lane.slots.get(meta.chunkIndex);
    const previous = old === undefined ? undefined : this.#meta(old);
    if (old !== undefined) this.#kill(old);
    else this.#count++;
    if (this.#used === this.#flags.length) this.#grow();
    const slot = this.#used++;
    this.#write(slot, lane.id, meta);
    lane.slots.set(meta.chunkIndex, slot);
    this.#compact();
    return previous;
  }

  /** Change a key's entry where it stands (quarantine, another writer's version): put order unchanged. */
  replace(meta: SliceMeta): boolean {
    const lane = this.#laneFor(meta.dataId, meta.channel, false);
    const slot = lane?.slots.get(meta.chunkIndex);
    if (slot === undefined) return false;
    this.#write(slot, lane!.id, meta);
    return true;
  }

  delete(key: SliceKey): SliceMeta | undefined {
    const lane = this.#laneFor(key.dataId, key.channel, false);
    const slot = lane?.slots.get(key.chunkIndex);
    if (slot === undefined) return undefined;
    const meta = this.#meta(slot);
    this.#kill(slot);
    lane!.slots.delete(key.chunkIndex);
    this.#dropLaneIfEmpty(lane!);
    this.#count--;
    // Holes at either end are skipped at once (scans start there); the rest go by compaction.
    while (this.#used > 0 && (this.#flags[this.#used - 1]! & LIVE) === 0) this.#used--;
    while (this.#head < this.#used && (this.#flags[this.#head]! & LIVE) === 0) this.#head++;
    if (this.#head >= this.#used) this.#head = this.#used = 0;
    this.#compact();
    return meta;
  }

  #kill(slot: number): void {
    this.#flags[slot] = 0;
    this.#quarantined.delete(slot);
  }

  #grow(): void {
    const n = this.#flags.length * 2;
    const grow = <T extends Uint32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.#lane = grow(this.#lane, (k) => new Uint32Array(k));
    this.#chunk = grow(this.#chunk, (k) => new Float64Array(k));
    this.#version = grow(this.#version, (k) => new Float64Array(k));
    this.#created = grow(this.#created, (k) => new Float64Array(k));
    this.#points = grow(this.#points, (k) => new Uint32Array(k));
    this.#bytes = grow(this.#bytes, (k) => new Float64Array(k));
    this.#flags = grow(this.#flags, (k) => new Uint8Array(k));
  }

  /** Squeeze out holes when they outnumber live slots; shrink the arrays when they are mostly empty. */
  #compact(): void {
    if (this.#used <= 2 * this.#count + 64) return;
    const quarantined = new Map<number, QuarantineInfo>();
    let to = 0;
    for (let from = 0; from < this.#used; from++) {
      if ((this.#flags[from]! & LIVE) === 0) continue;
      if (to !== from) {
        this.#lane[to] = this.#lane[from]!;
        this.#chunk[to] = this.#chunk[from]!;
        this.#version[to] = this.#version[from]!;
        this.#created[to] = this.#created[from]!;
        this.#points[to] = this.#points[from]!;
        this.#bytes[to] = this.#bytes[from]!;
        this.#flags[to] = this.#flags[from]!;
        this.#lanes[this.#lane[to]!]!.slots.set(this.#chunk[to]!, to);
      }
      const q = this.#quarantined.get(from);
      if (q) quarantined.set(to, q);
      to++;
    }
    this.#flags.fill(0, to, this.#used);
    this.#used = to;
    this.#head = 0;
    this.#quarantined = quarantined;
    this.#epoch++;
    let size = this.#flags.length;
    while (size > 64 && size >= 4 * Math.max(this.#used, 16)) size /= 2;
    if (size < this.#flags.length) {
      this.#lane = this.#lane.slice(0, size);
      this.#chunk = this.#chunk.slice(0, size);
      this.#version = this.#version.slice(0, size);
      this.#created = this.#created.slice(0, size);
      this.#points = this.#points.slice(0, size);
      this.#bytes = this.#bytes.slice(0, size);
      this.#flags = this.#flags.slice(0, size);
    }
  }

  /** Oldest put first. Stops if the index is compacted meanwhile (consume it before changing the outbox). */
  *oldestFirst(): Generator<SliceMeta> {
    const epoch = this.#epoch;
    for (let slot = this.#head; slot < this.#used && epoch === this.#epoch; slot++) {
      if ((this.#flags[slot]! & LIVE) !== 0) yield this.#meta(slot);
    }
  }

  /** Newest put first. Stops if the index is compacted meanwhile. */
  *newestFirst(): Generator<SliceMeta> {
    const epoch = this.#epoch;
    for (let slot = this.#used - 1; slot >= this.#head && epoch === this.#epoch; slot--) {
      if (slot < this.#used && (this.#flags[slot]! & LIVE) !== 0) yield this.#meta(slot);
    }
  }

  /** One stream's slices, in put order. */
  ofStream(dataId: string): SliceMeta[] {
    const lanes = this.#laneOf.get(dataId);
    if (!lanes) return [];
    const slots: number[] = [];
    for (const lane of lanes.values()) for (const slot of lane.slots.values()) slots.push(slot);
    return slots.sort((a, b) => a - b).map((s) => this.#meta(s));
  }

  /** The slices of one chunk index of a stream (every channel's), in put order. */
  chunk(dataId: string, chunkIndex: number): SliceMeta[] {
    const lanes = this.#laneOf.get(dataId);
    if (!lanes) return [];
    const slots: number[] = [];
    for (const lane of lanes.values()) {
      const slot = lane.slots.get(chunkIndex);
      if (slot !== undefined) slots.push(slot);
    }
    return slots.sort((a, b) => a - b).map((s) => this.#meta(s));
  }

  /** Highest chunk index held per channel of a stream. */
  highestChunkIndex(dataId: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const lane of this.#laneOf.get(dataId)?.values() ?? []) {
      let max = -1;
      for (const c of lane.slots.keys()) if (c > max) max = c;
      if (max >= 0) out.set(lane.channel, max);
    }
    return out;
  }

  /** True when the stream has at least one slice here. */
  hasStream(dataId: string): boolean {
    return this.#laneOf.has(dataId);
  }

  /** Streams with at least one slice. */
  streams(): string[] {
    return [...this.#laneOf.keys()];
  }

  /** Bytes this index holds in its arrays and lane tables (an estimate). */
  get footprintBytes(): number {
    let lanes = 0;
    for (const lane of this.#lanes) if (lane) lanes += 120 + lane.slots.denseBytes;
    return this.#flags.length * 37 + lanes;
  }
}
