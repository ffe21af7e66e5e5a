/** Where the `stream` command keeps its outbox by default: a per-user data directory. */
import { homedir } from "node:os";
import { join, win32 } from "node:path";

export interface DataDirContext {
  platform: string;
  env: Record<string, string | undefined>;
  home: string;
}

/**
 * The default outbox directory:
 * - Linux and other Unixes: `$XDG_DATA_HOME/atomscale-stream/outbox`, else `~/.local/share/atomscale-stream/outbox`;
 * - macOS: `~/Library/Application Support/atomscale-stream/outbox`;
 * - Windows: `%LOCALAPPDATA%\atomscale-stream\outbox` (else `~\AppData\Local\…`).
 */
export function defaultOutboxDir(context: DataDirContext = { platform: process.platform, env: process.env, home: homedir() }): string {
  const { platform, env, home } = context;
  if (platform === "win32") {
    const base = env.LOCALAPPDATA || win32.join(home, "AppData", "Local");
    return win32.join(base, "atomscale-stream", "outbox");
  }
  if (platform === "darwin") return join(home, "Library", "Application Support", "atomscale-stream", "outbox");
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec ignores a relative XDG_DATA_HOME.
  const base = xdg && xdg.startsWith("/") ? xdg : join(home, ".local", "share");
  return join(base, "atomscale-stream", "outbox");
}
