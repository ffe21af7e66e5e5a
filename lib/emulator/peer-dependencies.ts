/**
 * The emulator's packages are optional peer dependencies of the library: a library user streaming
 * from a browser, Deno or Node does not install a database and an HTTP framework. `startEmulator`
 * here loads the emulator only when called, and turns a missing package into an error that says
 * what to install.
 */
import type { Emulator, EmulatorOptions } from "./start.js";

/** The emulator's packages (optional peer dependencies of atomscale-stream) and what each is for. */
export const EMULATOR_PACKAGES: Readonly<Record<string, string>> = Object.freeze({
  hono: "the HTTP app",
  "@hono/node-server": "listening under Node",
  "@electric-sql/pglite": "the embedded database (no databaseUrl)",
  postgres: "a PostgreSQL server (databaseUrl)",
});

const INSTALL = `npm install ${Object.keys(EMULATOR_PACKAGES).join(" ")}`;

/** The emulator was asked for, but one of its packages is not installed. */
export class EmulatorDependencyError extends Error {
  readonly code = "ERR_EMULATOR_DEPENDENCY";
  override readonly name = "EmulatorDependencyError";
  constructor(
    /** The package that could not be loaded. */
    readonly packageName: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The emulator needs the package "${packageName}" (${EMULATOR_PACKAGES[packageName] ?? "the emulator"}), ` +
        `an optional peer dependency of atomscale-stream that is not installed. ` +
        `Install the emulator's packages beside atomscale-stream: ${INSTALL}`,
      options,
    );
  }
}

const PACKAGE_IN_MESSAGE = new RegExp(
  `['"](${Object.keys(EMULATOR_PACKAGES)
    .map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"))
    .join("|")})(?:/[^'"]*)?['"]`,
);

/** The emulator package a module-resolution error is about, if it is about one. */
export function missingEmulatorPackage(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  // Node: code ERR_MODULE_NOT_FOUND ("Cannot find package 'hono' imported from …");
  // Deno: "Could not find package 'hono' from referrer …". A database's "role "postgres" not found" is neither.
  const notFound =
    code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" || /\b(?:cannot|could not) (?:find|resolve) (?:package|module)\b/i.test(error.message);
  if (!notFound) return undefined;
  return PACKAGE_IN_MESSAGE.exec(error.message)?.[1];
}

/** Run `fn` (which loads the emulator); a missing emulator package becomes an EmulatorDependencyError. */
export async function withEmulatorDependencies<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const packageName = missingEmulatorPackage(error);
    if (packageName !== undefined) throw new EmulatorDependencyError(packageName, { cause: error });
    throw error;
  }
}

/**
 * Start the emulator: the documented Atomscale endpoints on a real database, over HTTP, in Node or
 * Deno. Rejects with an {@link EmulatorDependencyError} naming the package to install when one of the
 * emulator's packages is missing.
 *
 * @example
 * const emu = await startEmulator({ memory: true });
 * // emu.url, emu.apiKey
 * await emu.close();
 */
export function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return withEmulatorDependencies(async () => (await import("./start.js")).startEmulator(options));
}
