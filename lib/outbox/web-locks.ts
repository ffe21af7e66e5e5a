/**
 * Sends shared between tabs: IndexedDbOutbox claims a request's slices with Web Locks, one lock per
 * (stream, chunk index), taken `ifAvailable`, so two tabs on one database never send the same slices.
 */
import type { Claim } from "./interface.js";
import type { SliceMeta } from "./types.js";

/**
 * Claim slices with Web Locks, one per lock name (`nameOf`: one per request, since a request carries
 * one chunk index) — taken `ifAvailable`: another tab on the same database gets none of them while they
 * are held, and a group another tab holds is left out at once (the uploader sets it aside for a while).
 */
export async function claimWithWebLocks(locks: LockManager, metas: SliceMeta[], nameOf: (meta: SliceMeta) => string): Promise<Claim> {
  const groups = new Map<string, SliceMeta[]>();
  for (const m of metas) {
    const name = nameOf(m);
    const group = groups.get(name);
    if (group) group.push(m);
    else groups.set(name, [m]);
  }
  const names = [...groups.keys()];
  const releases = await Promise.all(names.map((name) => tryLock(locks, name)));
  const claimed: SliceMeta[] = [];
  const held: Array<() => void> = [];
  names.forEach((name, i) => {
    const release = releases[i];
    if (!release) return;
    claimed.push(...groups.get(name)!);
    held.push(release);
  });
  return { claimed, release: () => held.forEach((r) => r()) };
}

/** Take the lock if nobody holds it; resolves with its release, or undefined. */
function tryLock(locks: LockManager, name: string): Promise<(() => void) | undefined> {
  return new Promise((resolve) => {
    locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(undefined);
          return undefined;
        }
        // Held until released (or until the page goes away, when the browser frees it).
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch(() => resolve(undefined));
  });
}
