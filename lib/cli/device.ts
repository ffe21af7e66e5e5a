/**
 * The `stream` command's inputs as web byte streams, in Node and in Deno: a serial device (configured
 * with `stty`, then opened read/write), stdin, or a file.
 *
 * - Node: the device is opened twice with `node:fs` (one descriptor to read, one to write, both
 *   `O_NOCTTY | O_NONBLOCK`) and wrapped in `node:tty` streams — libuv then polls it like a terminal,
 *   so a quiet instrument never ties up a thread — and `Readable.toWeb` makes the reader a web stream.
 * - Deno (`globalThis.Deno`): `Deno.open` — one file to read (its `readable`), one to write (`write`):
 *   Deno runs the operations on one file one at a time, and a read is always pending on a device.
 */
import { execFile } from "node:child_process";
import { constants, createReadStream, open as openCallback } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import tty from "node:tty";
import { promisify } from "node:util";
import { CliError } from "./errors.js";

/** The line settings `stty` is given. */
export interface LineSettings {
  baudRate: number;
  dataBits: 7 | 8;
  parity: "none" | "even" | "odd";
  stopBits: 1 | 2;
}

/** An input's bytes, a way to answer it (devices only), and a way to let go of it. */
export interface ByteSource {
  readonly readable: ReadableStream<Uint8Array>;
  readonly write?: ((bytes: Uint8Array) => Promise<void>) | undefined;
  /** Stop reading and release the input; never waits on a read that may block forever. */
  close(): void;
}

/** The baud rates `stty` knows (POSIX's and Linux's). */
export const BAUD_RATES = [
  50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600,
  1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
] as const;

interface DenoFile {
  readonly readable: ReadableStream<Uint8Array>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}
interface DenoRuntime {
  open(path: string, options: { read: boolean; write?: boolean }): Promise<DenoFile>;
  readonly stdin: { readonly readable: ReadableStream<Uint8Array> };
}

/** Deno's namespace when running under Deno. */
export function denoRuntime(): DenoRuntime | undefined {
  return (globalThis as { Deno?: DenoRuntime }).Deno;
}

/**
 * `stty` arguments for a device: `-F PATH <baud> cs8|cs7 -cstopb|cstopb -parenb|parenb [parodd] raw -echo clocal`
 * (`-f` on macOS and the BSDs). `clocal`: no modem control lines, so a USB adapter without DCD reads.
 */
export function sttyArgs(path: string, line: LineSettings, platform: string = process.platform): string[] {
  const parity = line.parity === "none" ? ["-parenb"] : line.parity === "even" ? ["parenb", "-parodd"] : ["parenb", "parodd"];
  const fileFlag = platform === "linux" || platform === "win32" || platform === "cygwin" ? "-F" : "-f";
  return [
    fileFlag,
    path,
    String(line.baudRate),
    line.dataBits === 7 ? "cs7" : "cs8",
    line.stopBits === 2 ? "cstopb" : "-cstopb",
    ...parity,
    "raw",
    "-echo",
    "clocal",
  ];
}

const run = promisify(execFile);

/** Configure the device with `stty`, then open it for reading and writing. */
export async function openSerialDevice(path: string, line: LineSettings): Promise<ByteSource> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot open the device ${path}: ${error.code === "ENOENT" ? "no such file" : error.message}.`, 1, { cause: error });
  });
  if (!info.isCharacterDevice()) throw new CliError(`${path} is not a serial device (not a character device); use --file for a file.`);
  const args = sttyArgs(path, line);
  await run("stty", args).catch((error: NodeJS.ErrnoException & { stderr?: string }) => {
    const why = error.code === "ENOENT" ? "stty is not installed (it comes with coreutils)" : (error.stderr || error.message).trim();
    throw new CliError(`cannot configure ${path} with "stty ${args.join(" ")}": ${why}`, 1, { cause: error });
  });
  const deno = denoRuntime();
  if (deno) {
    // Two files, one to read and one to write: Deno serializes the operations on one file, and a read
    // pending in the device (always, here) would hold every write back.
    const [reading, writing] = await Promise.all([deno.open(path, { read: true }), deno.open(path, { read: false, write: true })]).catch((error: Error) => {
      throw new CliError(`cannot open the device ${path}: ${error.message}`, 1, { cause: error });
    });
    const source = denoSource(reading, async (bytes) => {
      for (let at = 0; at < bytes.length; ) at += await writing.write(bytes.subarray(at));
    });
    return {
      ...source,
      close() {
        source.close();
        try {
          writing.close();
        } catch {
          // already closed
        }
      },
    };
  }
  const open = promisify(openCallback);
  const flags = constants.O_NOCTTY | constants.O_NONBLOCK;
  let readFd: number | undefined;
  let writeFd: number | undefined;
  try {
    readFd = await open(path, constants.O_RDONLY | flags);
    writeFd = await open(path, constants.O_WRONLY | flags);
  } catch (error) {
    throw new CliError(`cannot open the device ${path}: ${(error as Error).message}`, 1, { cause: error });
  }
  const input = new tty.ReadStream(readFd);
  const output = new tty.WriteStream(writeFd);
  output.on("error", () => {}); // reported by the write that failed
  return {
    readable: Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>,
    write: (bytes) => new Promise<void>((resolve, reject) => output.write(bytes, (error) => (error ? reject(error) : resolve()))),
    close() {
      input.destroy();
      output.destroy();
    },
  };
}

/** Standard input. */
export function openStdin(): ByteSource {
  const deno = denoRuntime();
  if (deno) return denoSource({ readable: deno.stdin.readable, close() {} });
  return {
    readable: Readable.toWeb(process.stdin) as unknown as ReadableStream<Uint8Array>,
    close() {
      process.stdin.destroy();
    },
  };
}

/** A file, read from the start. */
export async function openFile(path: string): Promise<ByteSource> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${path}: ${error.code === "ENOENT" ? "no such file" : error.message}.`, 1, { cause: error });
  });
  if (info.isDirectory()) throw new CliError(`cannot read ${path}: it is a directory.`);
  const deno = denoRuntime();
  if (deno) {
    const file = await deno.open(path, { read: true }).catch((error: Error) => {
      throw new CliError(`cannot read ${path}: ${error.message}`, 1, { cause: error });
    });
    return denoSource(file);
  }
  const stream = createReadStream(path);
  return {
    readable: Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>,
    close() {
      stream.destroy();
    },
  };
}

/** A Deno file's readable, passed through so that cancelling never waits on a read blocked in the device. */
function denoSource(file: Pick<DenoFile, "readable" | "close">, write?: (bytes: Uint8Array) => Promise<void>): ByteSource {
  const reader = file.readable.getReader();
  let closed = false;
  const readable = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (closed) return;
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          if (!closed) controller.error(error);
        }
      },
      cancel() {
        closed = true;
        void reader.cancel().catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
  return {
    readable,
    write,
    close() {
      if (closed) return;
      closed = true;
      void reader.cancel().catch(() => {});
    },
  };
}
