/** Exit codes scripts can rely on. */
export const USAGE_EXIT = 2;

/** An error the CLI reports in one line (no stack), with its exit code. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
