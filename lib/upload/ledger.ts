/**
 * The ledger of a stream: how many points each accepted slice holds, per channel and chunk index — what
 * the server must show before the stream is finalized. Kept as runs `[fromChunk, toChunk, points]` so a
 * stream written chunk after chunk costs a few numbers per channel, however long it runs; stored in the
 * stream's state (written with the slices it describes). Never the points themselves.
 */

/** One channel's runs, sorted by `from`, non-overlapping: chunks from … to − 1 hold `points` each. */
type Runs = Array<[from: number, to: number, points: number]>;

export class Ledger {
  readonly #channels = new Map<string, Runs>();

  /** Rebuild from the stored form (`StreamState.ledger`). */
  static from(stored: ReadonlyArray<readonly [string, readonly number[]]> | undefined): Ledger {
    const ledger = new Ledger();
    for (const [channel, flat] of stored ?? []) {
      const runs: Runs = [];
      for (let i = 0; i + 2 < flat.length; i += 3) runs.push([flat[i]!, flat[i + 1]!, flat[i + 2]!]);
      ledger.#channels.set(channel, runs);
    }
    return ledger;
  }

  /** The stored form: `[channel, [from, to, points, from, to, points, …]]` per channel. */
  toStored(): Array<[string, number[]]> {
    // Written with every put of the stream's slices: loops, not spread + map + flat.
    const out: Array<[string, number[]]> = [];
    for (const [channel, runs] of this.#channels) {
      const flat: number[] = [];
      for (const [from, to, points] of runs) flat.push(from, to, points);
      out.push([channel, flat]);
    }
    return out;
  }

  get channels(): string[] {
    return [...this.#channels.keys()];
  }

  /** Chunk `chunkIndex` of `channel` now holds `points` points (a newer version replaces the count). */
  set(channel: string, chunkIndex: number, points: number): void {
    let runs = this.#channels.get(channel);
    if (!runs) this.#channels.set(channel, (runs = []));
    // The common case: appending at (or extending) the end.
    const last = runs[runs.length - 1];
    if (last && chunkIndex >= last[1]) {
      if (chunkIndex === last[1] && points === last[2]) last[1] += 1;
      else runs.push([chunkIndex, chunkIndex + 1, points]);
      return;
    }
    if (!last) {
      runs.push([chunkIndex, chunkIndex + 1, points]);
      return;
    }
    // Elsewhere: split the run that holds it (if any), insert, merge neighbours.
    let i = lowerRun(runs, chunkIndex);
    const pieces: Runs = [];
    if (i < runs.length && runs[i]![0] <= chunkIndex && chunkIndex < runs[i]![1]) {
      const [from, to, n] = runs[i]!;
      if (n === points) return;
      if (from < chunkIndex) pieces.push([from, chunkIndex, n]);
      pieces.push([chunkIndex, chunkIndex + 1, points]);
      if (chunkIndex + 1 < to) pieces.push([chunkIndex + 1, to, n]);
      runs.splice(i, 1, ...pieces);
    } else {
      runs.splice(i, 0, [chunkIndex, chunkIndex + 1, points]);
    }
    // merge equal neighbours around the change
    i = Math.max(0, i - 1);
    while (i + 1 < runs.length) {
      const a = runs[i]!;
      const b = runs[i + 1]!;
      if (a[1] === b[0] && a[2] === b[2]) {
        a[1] = b[1];
        runs.splice(i + 1, 1);
      } else if (b[0] > chunkIndex + 1) break;
      else i++;
    }
  }

  /** Points expected for one chunk (0 when the ledger has none). */
  points(channel: string, chunkIndex: number): number {
    const runs = this.#channels.get(channel);
    if (!runs) return 0;
    const i = lowerRun(runs, chunkIndex);
    const r = runs[i];
    return r && r[0] <= chunkIndex && chunkIndex < r[1] ? r[2] : 0;
  }

  /** Total points expected on the server for a channel. */
  total(channel: string): number {
    let n = 0;
    for (const [from, to, points] of this.#channels.get(channel) ?? []) n += (to - from) * points;
    return n;
  }

  /** Each chunk of a channel in order, with its offset in the channel's read-back (sum of the points before it). */
  *chunks(channel: string): Generator<{ chunkIndex: number; points: number; offset: number }> {
    let offset = 0;
    for (const [from, to, points] of this.#channels.get(channel) ?? []) {
      for (let c = from; c < to; c++) {
        yield { chunkIndex: c, points, offset };
        offset += points;
      }
    }
  }
}

/** Index of the first run whose `to` is above `chunkIndex` (binary search). */
function lowerRun(runs: Runs, chunkIndex: number): number {
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (runs[mid]![1] <= chunkIndex) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
