/** A pid lock file (Node and Deno): one process per directory; a lock left by a dead process is taken over. */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Take `dir/name`, or throw `inUse(pid)`'s message when a live process holds it.
 * @returns how to let it go
 */
export async function acquireLockFile(dir: string, name: string, inUse: (pid: number) => string): Promise<{ release(): Promise<void> }> {
  const file = join(dir, name);
  try {
    await writeFile(file, String(process.pid), { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const pid = Number((await readFile(file, "utf8")).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) throw new Error(inUse(pid));
    await writeFile(file, String(process.pid)); // left by a process that died
  }
  return { release: () => rm(file, { force: true }) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
