#!/usr/bin/env node
/** The `atomscale-stream` command line. */
import { CliError, USAGE_EXIT } from "./errors.js";
import { versionLine } from "./version.js";

interface Command {
  summary: string;
  run: (argv: string[]) => Promise<number>;
  /** Exit once it returns, even if an input (a device, stdin) still holds the event loop. */
  exitWhenDone?: boolean;
  /**
   * Its output is what it is for (a table, points): when the reader goes away (`… | head`), it ends,
   * quietly, with exit 0. The others (whose work is sending or serving) go on without their stdout.
   */
  endsWithItsReader?: boolean;
}

const COMMANDS: Record<string, Command> = {
  // Each command loads only what it needs (the emulator's database stays out of `stream` and `poll`).
  serve: {
    summary: "run the local emulator of the Atomscale API and serve the demo page",
    // The emulator's packages are optional peer dependencies: a missing one is named, with what to install.
    run: async (argv) => {
      const { withEmulatorDependencies, EmulatorDependencyError } = await import("../emulator/peer-dependencies.js");
      try {
        return await withEmulatorDependencies(async () => (await import("./serve.js")).serveCommand(argv));
      } catch (error) {
        if (error instanceof EmulatorDependencyError) throw new CliError(error.message, 1, { cause: error });
        throw error;
      }
    },
  },
  stream: {
    summary: "stream a serial instrument, stdin or a CSV file to the platform",
    run: async (argv) => (await import("./stream.js")).streamCommand(argv),
    exitWhenDone: true,
  },
  drain: {
    summary: "send what an outbox holds and finalize the streams left in it (--list: show it)",
    run: async (argv) => (await import("./drain.js")).drainCommand(argv),
    exitWhenDone: true,
  },
  poll: {
    summary: "print a stream's points as they arrive",
    run: async (argv) => (await import("./poll.js")).pollCommand(argv),
    exitWhenDone: true,
    endsWithItsReader: true,
  },
  instruments: {
    summary: "list the growth instruments (id, name, type) for stream --instrument",
    run: async (argv) => (await import("./instruments.js")).instrumentsCommand(argv),
    exitWhenDone: true,
    endsWithItsReader: true,
  },
};

const HELP = `atomscale-stream — stream instrument readings into the Atomscale platform

Usage: atomscale-stream <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(11)} ${c.summary}`)
  .join("\n")}

Run "atomscale-stream <command> --help" for a command's options; "atomscale-stream --version" for the version.
The API key comes from --api-key, ATOMSCALE_API_KEY or AS_API_KEY; the endpoint from --endpoint or
AS_API_ENDPOINT (default https://api.atomscale.ai).`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(HELP);
    return name === undefined ? USAGE_EXIT : 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(versionLine());
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(`atomscale-stream: unknown command "${name}".\n\n${HELP}`);
    return USAGE_EXIT;
  }
  return command.run(rest);
}

/** Exit with `code` once stdout and stderr have taken everything written (pipes may be asynchronous). */
function exitWhenFlushed(code: number): void {
  let waiting = 2;
  const done = () => {
    if (--waiting === 0) process.exit(code);
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
  const timer = setTimeout(() => process.exit(code), 2000);
  (timer as { unref?: () => void }).unref?.();
}

/** A closed pipe on stdout or stderr is not a crash with a stack trace (an unhandled EPIPE was). */
function survivePipeClosed(endsWithItsReader: boolean): void {
  for (const out of [process.stdout, process.stderr]) {
    out.on("error", (error: NodeJS.ErrnoException) => {
      const closed = error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED" || /broken pipe/i.test(error.message);
      if (!closed) throw error;
      if (endsWithItsReader && out === process.stdout) process.exit(0);
      // otherwise: the run goes on (its data is in the outbox and on the platform, not on stdout)
    });
  }
}

const argv = process.argv.slice(2);
const command = Object.hasOwn(COMMANDS, argv[0] ?? "") ? COMMANDS[argv[0]!] : undefined;
const exitWhenDone = command?.exitWhenDone === true;
survivePipeClosed(command?.endsWithItsReader === true || command === undefined);
main(argv).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
    if (exitWhenDone) exitWhenFlushed(code);
  },
  (error: unknown) => {
    if (error instanceof CliError) {
      console.error(`atomscale-stream: ${error.message}`);
      process.exitCode = error.exitCode;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
    if (exitWhenDone) exitWhenFlushed(Number(process.exitCode));
  },
);
