/**
 * Web Streams classes: the runtime's globals. Browsers, Deno and Node ≥ 18 all have them, so the
 * library needs no polyfill package; a runtime without them gets a clear error at import time,
 * saying how to provide them. Synchronous on purpose: no top-level `await`, so that
 * `require("atomscale-stream")` works on Node ≥ 20.19.
 */

/** Thrown at import time when the runtime has no global Web Streams classes. */
export class MissingWebStreamsError extends Error {
  readonly code = "ERR_MISSING_WEB_STREAMS";
  constructor(missing: string[]) {
    super(
      `atomscale-stream needs the Web Streams globals, and this runtime lacks ${missing.join(", ")}. ` +
        `Use Node ≥ 20.19, Deno or a current browser, or install a polyfill onto globalThis before importing ` +
        `atomscale-stream (e.g. \`import "web-streams-polyfill/polyfill"\`).`,
    );
    this.name = "MissingWebStreamsError";
  }
}

type StreamsModule = { TransformStream: typeof TransformStream; WritableStream: typeof WritableStream; ReadableStream: typeof ReadableStream };

function globalStreams(): StreamsModule {
  const g = globalThis as Partial<StreamsModule>;
  const missing = (["TransformStream", "WritableStream", "ReadableStream"] as const).filter((name) => typeof g[name] !== "function");
  if (missing.length > 0) throw new MissingWebStreamsError(missing);
  return g as StreamsModule;
}

const streams = globalStreams();

export const TransformStreamBase: typeof TransformStream = streams.TransformStream;
export const WritableStreamBase: typeof WritableStream = streams.WritableStream;
export const ReadableStreamBase: typeof ReadableStream = streams.ReadableStream;
