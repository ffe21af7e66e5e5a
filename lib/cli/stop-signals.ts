/** Ctrl+C (SIGINT) and SIGTERM handled while a command runs, and let go when it ends (every path). */
export async function whileHandlingStopSignals<T>(onSignal: (signal: "SIGINT" | "SIGTERM") => void, body: () => Promise<T>): Promise<T> {
  const onInt = () => onSignal("SIGINT");
  const onTerm = () => onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    return await body();
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
