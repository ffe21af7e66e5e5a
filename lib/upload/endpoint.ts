/**
 * Endpoints compared as URLs, not strings: scheme, host, port (the scheme's default filled in) and path
 * without a trailing slash. `localhost` and `127.0.0.1` are different hosts (they may be different
 * servers), but a mismatch of that kind is named so that a user can adopt the pending data knowingly.
 */

/** Canonical forms already worked out: the uploader compares a stream's endpoint with its own for every slice it considers. */
const canonical = new Map<string, string>();

/** The canonical form of an endpoint: `scheme://host:port/path` (no trailing slash), or the text itself if it is no URL. */
export function canonicalEndpoint(endpoint: string): string {
  let form = canonical.get(endpoint);
  if (form === undefined) {
    form = canonicalOf(endpoint);
    if (canonical.size >= 256) canonical.clear();
    canonical.set(endpoint, form);
  }
  return form;
}

function canonicalOf(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return endpoint.trim();
  }
  const port = url.port || (url.protocol === "https:" ? "443" : url.protocol === "http:" ? "80" : "");
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${url.hostname.toLowerCase()}${port ? `:${port}` : ""}${path}`;
}

/** True when both name the same API (see {@link canonicalEndpoint}). */
export function sameEndpoint(a: string, b: string): boolean {
  return canonicalEndpoint(a) === canonicalEndpoint(b);
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Why two endpoints differ, in words a user can act on. */
export function describeMismatch(theirs: string, ours: string): string {
  try {
    const a = new URL(theirs);
    const b = new URL(ours);
    if (a.protocol === b.protocol && a.port === b.port && LOOPBACK.has(a.hostname) && LOOPBACK.has(b.hostname) && a.hostname !== b.hostname) {
      return `${theirs} and ${ours} are both this machine under different names (${a.hostname} vs ${b.hostname}); they may still be different servers`;
    }
  } catch {
    // not URLs: the plain words below
  }
  return `${theirs} is not ${ours}`;
}
