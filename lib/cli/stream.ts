/**
 * `atomscale-stream stream`: a serial instrument, stdin or a CSV file → the Atomscale platform, through
 * a FileOutbox, with a status line, clean stops and exit codes scripts can use. This file is the
 * command's entry: options → config → one run. The pieces: stream-help.ts (the help), stream-options.ts
 * (options and their checks), stream-input.ts (input, driver, reconnecting device), stream-run.ts (the
 * run, signals, the pipe), stream-report.ts (status line and summary), upload-session.ts (the outbox
 * and streamer, shared with `drain`).
 */
import { credentials, parseCommand } from "./args.js";
import { streamHelp } from "./stream-help.js";
import { checkStreamConfig, COMMAND, OPTIONS } from "./stream-options.js";
import { StreamRun } from "./stream-run.js";
import { versionLine } from "./version.js";

export { parseChannels } from "./stream-options.js";
export { EXIT_SECOND_SIGNAL } from "./stream-run.js";
export { EXIT_PENDING } from "./upload-session.js";

export async function streamCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(COMMAND, argv, OPTIONS);
  if (values.help) {
    console.log(streamHelp());
    return 0;
  }
  if (values.version) {
    console.log(versionLine());
    return 0;
  }
  const config = checkStreamConfig(values, positionals);
  const creds = credentials(COMMAND, values);
  return new StreamRun(config, creds).run();
}
