/**
 * `serve` checks that it can listen before it opens its database: opening and migrating an embedded
 * database takes seconds (about 17 on a loaded machine), and a busy port found only after that — with
 * the data directory created and locked on the way — is a poor answer to a typo in `--port`.
 *
 * The check binds the address and lets it go at once, so it answers for the moment it runs: a port taken
 * between the check and the emulator's own listen is still reported (by the same message), only later.
 */
import { createServer } from "node:net";
import { CliError } from "./errors.js";

/** The listen error, or undefined when `host:port` can be bound now (port 0 always can). */
export function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  if (port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error));
    // exclusive: no handle shared with a cluster primary — the same bind the emulator will make.
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** A CliError (exit 1) that says why `serve` cannot listen on `host:port` and what to do. */
export function listenError(error: NodeJS.ErrnoException, host: string, port: number): CliError {
  const code = error.code ?? (/address already in use/i.test(error.message) ? "EADDRINUSE" : undefined);
  const where = `port ${port} on ${host}`;
  if (code === "EADDRINUSE") {
    return new CliError(
      `serve: ${where} is in use (EADDRINUSE) — another emulator may be running there. Choose another port with --port N (--port 0 picks a free one; with npm: npm start -- --port N).`,
      1,
      { cause: error, code: "port_in_use" },
    );
  }
  if (code === "EACCES") {
    return new CliError(`serve: listening on ${where} is not allowed (EACCES): ports below 1024 need privileges. Choose another port with --port N.`, 1, {
      cause: error,
      code: "port_not_allowed",
    });
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new CliError(
      `serve: --host ${host} is not an address of this computer (${code}). Use 127.0.0.1 (this computer only), 0.0.0.0 (every interface) or one of its own addresses.`,
      1,
      { cause: error, code: "host_not_local" },
    );
  }
  return new CliError(`serve: cannot listen on ${where}: ${error.message}`, 1, { cause: error, code: "listen" });
}
