/** A driver that cannot run as configured: an unknown driver id, a missing SCPI command, a bad address. */
export class DriverConfigError extends Error {
  override readonly name = "DriverConfigError";
  /** "unknown-driver" | "missing-command" | "bad-address" | "unknown-simulator" */
  readonly code: string;
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
