/**
 * One lane's map from chunk index to index slot, sized for how chunk indexes come: a contiguous run.
 * The run lives in a window of an Int32Array (slot + 1; 0 = none) — 4 bytes a chunk instead of a Map
 * entry's ~30 — that grows at its front as chunks are put and moves up as the oldest are acknowledged;
 * an index far from the window (a sparse `push` of chunk 10⁹) goes to a small Map instead.
 */
export class ChunkSlots {
  #base = 0;
  #dense: Int32Array | undefined;
  /** Offsets below this hold nothing (acknowledged from the oldest end). */
  #low = 0;
  #inDense = 0;
  #sparse: Map<number, number> | undefined;

  get size(): number {
    return this.#inDense + (this.#sparse?.size ?? 0);
  }

  #offset(chunkIndex: number): number {
    const dense = this.#dense;
    if (!dense) return -1;
    const i = chunkIndex - this.#base;
    return i >= 0 && i < dense.length ? i : -1;
  }

  get(chunkIndex: number): number | undefined {
    const i = this.#offset(chunkIndex);
    if (i >= 0) {
      const v = this.#dense![i]!;
      return v === 0 ? undefined : v - 1;
    }
    return this.#sparse?.get(chunkIndex);
  }

  set(chunkIndex: number, slot: number): void {
    if (!this.#dense && !this.#sparse?.size) {
      this.#dense = new Int32Array(16);
      this.#base = chunkIndex;
      this.#low = 0;
    }
    let i = this.#offset(chunkIndex);
    if (i < 0 && this.#dense && chunkIndex >= this.#base + this.#dense.length && chunkIndex - this.#base < 2 * this.#dense.length + 64) {
      this.#growTo(chunkIndex - this.#base + 1);
      i = this.#offset(chunkIndex);
    }
    if (i >= 0) {
      if (this.#dense![i] === 0) this.#inDense++;
      this.#dense![i] = slot + 1;
      if (i < this.#low) this.#low = i;
      return;
    }
    (this.#sparse ??= new Map()).set(chunkIndex, slot);
  }

  delete(chunkIndex: number): boolean {
    const i = this.#offset(chunkIndex);
    if (i >= 0) {
      const dense = this.#dense!;
      if (dense[i] === 0) return false;
      dense[i] = 0;
      this.#inDense--;
      if (this.#inDense === 0) {
        this.#low = 0;
        if (!this.#sparse?.size) this.#dense = undefined; // the next put starts a window where it lands
        else dense.fill(0);
      } else if (i === this.#low) {
        while (dense[this.#low] === 0) this.#low++;
        if (this.#low > dense.length / 2) this.#shift();
      }
      return true;
    }
    return this.#sparse?.delete(chunkIndex) ?? false;
  }

  /** Grow the window (at least to `length`), taking in the sparse entries it now covers. */
  #growTo(length: number): void {
    const old = this.#dense!;
    let n = old.length * 2;
    while (n < length) n *= 2;
    const next = new Int32Array(n);
    next.set(old);
    this.#dense = next;
    const sparse = this.#sparse;
    if (!sparse?.size) return;
    for (const [c, slot] of sparse) {
      const i = c - this.#base;
      if (i >= old.length && i < n) {
        next[i] = slot + 1;
        this.#inDense++;
        sparse.delete(c);
      }
    }
  }

  /** Move the window up past the acknowledged front, so a long stream does not drag its history. */
  #shift(): void {
    const dense = this.#dense!;
    const by = this.#low;
    dense.copyWithin(0, by);
    dense.fill(0, dense.length - by);
    this.#base += by;
    this.#low = 0;
    const sparse = this.#sparse;
    if (!sparse?.size) return;
    for (const [c, slot] of sparse) {
      const i = c - this.#base;
      if (i >= dense.length - by && i < dense.length) {
        dense[i] = slot + 1;
        this.#inDense++;
        sparse.delete(c);
      }
    }
  }

  /** [chunk index, slot] of every entry (window first, in chunk order; then the sparse ones). */
  *entries(): Generator<[number, number]> {
    const dense = this.#dense;
    if (dense) {
      for (let i = this.#low; i < dense.length; i++) {
        const v = dense[i]!;
        if (v !== 0) yield [this.#base + i, v - 1];
      }
    }
    if (this.#sparse) yield* this.#sparse;
  }

  *values(): Generator<number> {
    for (const [, slot] of this.entries()) yield slot;
  }

  *keys(): Generator<number> {
    for (const [c] of this.entries()) yield c;
  }

  /** Bytes of the window (for footprint estimates). */
  get denseBytes(): number {
    return this.#dense?.byteLength ?? 0;
  }
}
