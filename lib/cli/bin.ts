#!/usr/bin/env node
/** The `atomscale-stream` command line. */
import { serveCommand } from "./serve.js";
import { CliError, USAGE_EXIT } from "./errors.js";

const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<number> }> = {
  serve: { summary: "run the local emulator of the Atomscale API and serve the demo page", run: serveCommand },
};

const HELP = `atomscale-stream — stream instrument readings into the Atomscale platform

Usage: atomscale-stream <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
  .join("\n")}

Run "atomscale-stream <command> --help" for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(HELP);
    return name === undefined ? USAGE_EXIT : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`atomscale-stream: unknown command "${name}".\n\n${HELP}`);
    return USAGE_EXIT;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CliError) {
      console.error(`atomscale-stream: ${error.message}`);
      process.exitCode = error.exitCode;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  },
);
