/**
 * `GET /emulator/config`: the demo page the emulator serves asks it for the endpoint and the key.
 * It hands out the key, so it answers only a request that is addressed to the emulator by a name of
 * its own (the `Host` header: its listening address, or a loopback alias of it on the same port — so
 * DNS rebinding, `Host: evil.example`, is refused) and that comes from its own origin (`Origin`, when
 * sent, is the emulator's; `Sec-Fetch-Site`, when sent, is `same-origin` or `none`). No CORS headers.
 */
import type { Context } from "hono";
import { fail } from "../respond.js";

export interface ListenAddress {
  /** What the server listens on, e.g. "127.0.0.1", "::1", "0.0.0.0". */
  hostname: string;
  port: number;
  /** For a wildcard listener: the machine's own addresses, which also reach it. */
  interfaces?: string[];
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];
const WILDCARDS = new Set(["0.0.0.0", "::", "[::]"]);

const bracket = (host: string) => (host.includes(":") && !host.startsWith("[") ? `[${host}]` : host);
const isLoopback = (host: string) => host === "localhost" || host === "::1" || host === "[::1]" || /^127\./.test(host);

/** The host names (as URL hostnames, IPv6 in brackets) that address this emulator. */
export function ownHostnames(address: ListenAddress | undefined): Set<string> {
  if (!address) return new Set(LOOPBACK_NAMES);
  const own = new Set<string>();
  const listen = address.hostname.toLowerCase();
  if (WILDCARDS.has(listen)) {
    for (const name of LOOPBACK_NAMES) own.add(name);
    for (const a of address.interfaces ?? []) own.add(bracket(a.toLowerCase()));
  } else {
    own.add(bracket(listen));
    if (isLoopback(listen)) for (const name of LOOPBACK_NAMES) own.add(name);
  }
  return own;
}

/** Is `Host` one of the emulator's own names, on its port? */
export function isOwnHost(hostHeader: string | undefined, address: ListenAddress | undefined): boolean {
  if (!hostHeader) return false;
  let url: URL;
  try {
    url = new URL(`http://${hostHeader}`);
  } catch {
    return false;
  }
  if (url.host !== hostHeader.toLowerCase() && `${url.host}:80` !== hostHeader.toLowerCase()) return false; // no userinfo, paths or tricks
  const port = url.port === "" ? 80 : Number(url.port);
  if (address && port !== address.port) return false;
  return ownHostnames(address).has(url.hostname);
}

export function configRoute(apiKey: string, address: () => ListenAddress | undefined) {
  return (c: Context) => {
    const host = c.req.header("host");
    if (!isOwnHost(host, address())) {
      return fail(c, 403, "The emulator's key is only given to pages it serves itself, addressed by its own host name and port.");
    }
    const origin = c.req.header("origin");
    const site = c.req.header("sec-fetch-site");
    if ((origin !== undefined && origin !== `http://${host!.toLowerCase()}`) || (site !== undefined && site !== "same-origin" && site !== "none")) {
      return fail(c, 403, "The emulator's key is only given to pages it serves itself (same origin).");
    }
    c.header("Cache-Control", "no-store");
    return c.json({ endpoint: `http://${host}`, apiKey, emulator: true });
  };
}
