/** Exit codes scripts can rely on. */
export const USAGE_EXIT = 2;

/**
 * An error the CLI reports in one line (no stack), with its exit code and a stable `code`
 * ("usage" for exit 2, else what failed: "input", "outbox_unavailable", "initialize", …).
 */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly code: string;
  constructor(
    message: string,
    readonly exitCode: number = 1,
    options?: { cause?: unknown; code?: string },
  ) {
    super(message, options);
    this.code = options?.code ?? (exitCode === USAGE_EXIT ? "usage" : "error");
  }
}
