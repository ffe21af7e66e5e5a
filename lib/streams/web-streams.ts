/**
 * Web Streams classes: the runtime's globals (browsers, Deno, Node ≥ 18 all have them), or
 * `@web-std/stream` only where a global is missing.
 */
type StreamsModule = { TransformStream: typeof TransformStream; WritableStream: typeof WritableStream; ReadableStream: typeof ReadableStream };

const g = globalThis as Partial<StreamsModule>;
const fallback: StreamsModule | undefined =
  g.TransformStream && g.WritableStream && g.ReadableStream
    ? undefined
    : ((await import("@web-std/stream")) as unknown as StreamsModule);

export const TransformStreamBase: typeof TransformStream = g.TransformStream ?? fallback!.TransformStream;
export const WritableStreamBase: typeof WritableStream = g.WritableStream ?? fallback!.WritableStream;
export const ReadableStreamBase: typeof ReadableStream = g.ReadableStream ?? fallback!.ReadableStream;
