import { parseArgs } from "node:util";
import { DEFAULT_DATA_DIR, startEmulator } from "../emulator/start.js";
import { CliError, USAGE_EXIT } from "./errors.js";
import { listenError, tryListen } from "./listen-check.js";
import { versionLine } from "./version.js";

export const DEFAULT_PORT = 8765;

const HELP = `Usage: atomscale-stream serve [options]

Runs a local emulator of the Atomscale API (the documented stream, read-back, instrument,
sample and catalogue endpoints) on a real database, and serves the demo page at "/".

Options:
  --port N              TCP port (default ${DEFAULT_PORT}; 0 picks a free one)
  --host HOST           interface to listen on (default 127.0.0.1)
  --api-key KEY         the API key to accept (default: the one stored with the data, or a new one)
  --data-dir DIR        embedded database (PGlite) directory (default ${DEFAULT_DATA_DIR})
  --memory              embedded database in memory only: nothing survives a restart
  --database-url URL    a PostgreSQL server instead (default: $DATABASE_URL if set)
  --max-body-bytes N    largest request body accepted (default 16 MiB)
  --stream-prefix P     serve the stream endpoints under P only: /tool-state or /metrology
                        (repeatable; default both)
  --verbose             log every request
  -h, --help            show this help
  --version             print the version of atomscale-stream

From this repository: npm start -- --port N (npm passes what follows "--" to serve).`;

export async function serveCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "api-key": { type: "string" },
        "data-dir": { type: "string" },
        memory: { type: "boolean" },
        "database-url": { type: "string" },
        "max-body-bytes": { type: "string" },
        "stream-prefix": { type: "string", multiple: true },
        verbose: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new CliError(`serve: ${(error as Error).message}\n\n${HELP}`, USAGE_EXIT);
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.version) {
    console.log(versionLine());
    return 0;
  }
  const port = integerOption("--port", values.port, DEFAULT_PORT, 0, 65535);
  const maxBodyBytes = integerOption("--max-body-bytes", values["max-body-bytes"], undefined, 1, Number.MAX_SAFE_INTEGER);
  const databaseUrl = values["database-url"] ?? (values["data-dir"] || values.memory ? undefined : process.env.DATABASE_URL || undefined);
  const chosen = [values["data-dir"] !== undefined, values.memory === true, values["database-url"] !== undefined].filter(Boolean);
  if (chosen.length > 1) throw new CliError("serve: choose one of --data-dir, --memory and --database-url.", USAGE_EXIT);

  const prefixes = values["stream-prefix"];
  for (const p of prefixes ?? []) {
    if (p !== "/tool-state" && p !== "/metrology") {
      throw new CliError(`serve: --stream-prefix must be /tool-state or /metrology, got ${JSON.stringify(p)}.`, USAGE_EXIT);
    }
  }

  // A busy port (or a host that is not this computer's) is said at once, before the database is opened,
  // created or locked (seconds of work for the embedded one).
  const host = values.host ?? "127.0.0.1";
  const busy = await tryListen(host, port!);
  if (busy) throw listenError(busy, host, port!);

  // The data directory holds the emulator's key: whatever this process creates is its owner's only.
  try {
    process.umask(0o077);
  } catch {
    // a runtime without umask (the emulator still makes its data directory 0700 and its files 0600)
  }
  const emulator = await startEmulator({
    port,
    host,
    ...(values["api-key"] !== undefined ? { apiKey: values["api-key"] } : {}),
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(values["data-dir"] !== undefined ? { dataDir: values["data-dir"] } : {}),
    ...(values.memory ? { memory: true } : {}),
    ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
    ...(prefixes ? { streamPrefixes: prefixes as Array<"/tool-state" | "/metrology"> } : {}),
    ...(values.verbose ? { log: (line: string) => console.log(line) } : {}),
  }).catch((error: NodeJS.ErrnoException) => {
    // The port was free at the check above; another process took it while the database opened.
    if (error.code === "EADDRINUSE" || /EADDRINUSE|address already in use/i.test(error.message)) throw listenError(error, host, port!);
    throw new CliError(`serve: ${error.message}`, 1, { cause: error });
  });

  const where = emulator.database === "postgres" ? `PostgreSQL at ${emulator.databaseLocation}` : `PGlite (${emulator.databaseLocation})`;
  console.log(`Atomscale emulator listening on ${emulator.url}`);
  console.log(`API key: ${emulator.apiKey}`);
  console.log(`Database: ${where}`);
  console.log(`Demo page: ${emulator.url}/`);
  console.log("Press Ctrl+C to stop.");

  await new Promise<void>((resolveStop) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolveStop();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  console.log("Stopping the emulator…");
  await emulator.close();
  return 0;
}

function integerOption(name: string, raw: string | undefined, fallback: number | undefined, min: number, max: number) {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new CliError(`serve: ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}.`, USAGE_EXIT);
  }
  return n;
}
