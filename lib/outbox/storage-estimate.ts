/**
 * The browser's word on this origin's storage for IndexedDbOutbox: usage and quota
 * (`navigator.storage.estimate()`, refreshed at most every 5 s after writes) and whether it is
 * persisted (asked once, at open). Sizes the default capacity and fills OutboxQuotaError's details.
 */

/** How often, at most, `navigator.storage.estimate()` is refreshed after writes. */
const ESTIMATE_INTERVAL_MS = 5_000;

/** Usage, quota and persistence of this origin's storage, as last reported by the browser. */
export interface OriginStorageInfo {
  usage?: number;
  quota?: number;
  persisted?: boolean;
}

export class StorageEstimate {
  /** As last reported by the browser (empty where it reports nothing). */
  readonly info: OriginStorageInfo = {};
  #estimatedAt = 0;
  #estimating: Promise<void> | undefined;

  /** Ask for persistent storage, once, at open. */
  requestPersistence(): void {
    const storage = typeof navigator !== "undefined" ? navigator.storage : undefined;
    if (!storage) return;
    // Asked once, at open. Not awaited: some browsers ask the user and answer only when they do.
    void (async () => {
      try {
        if (typeof storage.persisted === "function") this.info.persisted = await storage.persisted();
        if (!this.info.persisted && typeof storage.persist === "function") this.info.persisted = await storage.persist();
      } catch {
        /* not granted, or not available here: the data is still stored, only evictable */
      }
    })();
  }

  /** Refresh usage and quota (now, or at most every 5 s after writes). */
  estimate(force: boolean): Promise<void> {
    const storage = typeof navigator !== "undefined" ? navigator.storage : undefined;
    if (!storage || typeof storage.estimate !== "function") return Promise.resolve();
    if (this.#estimating) return this.#estimating;
    if (!force && Date.now() - this.#estimatedAt < ESTIMATE_INTERVAL_MS) return Promise.resolve();
    this.#estimatedAt = Date.now();
    this.#estimating = storage
      .estimate()
      .then(
        ({ usage, quota }) => {
          if (usage !== undefined) this.info.usage = usage;
          if (quota !== undefined) this.info.quota = quota;
        },
        () => {},
      )
      .finally(() => (this.#estimating = undefined));
    return this.#estimating;
  }
}
