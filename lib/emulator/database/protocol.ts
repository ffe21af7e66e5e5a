/**
 * PostgreSQL's extended query protocol, the few messages the emulator's hot path needs: Parse once per
 * session, then Bind (parameters in binary), Execute, Sync per statement. Binary parameters are
 * copied by the server as they are: no SQL text to lex, no array literal to parse, no escaping here
 * (what `EXECUTE name('{…}')` with inlined literals cost on both sides). Results come back as text.
 *
 * Used with PGlite's `execProtocolRaw`, in the emulator's own thread or in its database worker.
 */

/** A parameter's type: a scalar or a one-dimensional array of int4, int8 or text. */
export type ParamType = "int4" | "int8" | "text" | "int4[]" | "int8[]" | "text[]";

/** A value for a parameter: a finite safe integer, text, null, or a list of these. */
export type ParamValue = string | number | null | Array<string | number | null>;

const TYPE_OID: Record<ParamType, number> = { int4: 23, int8: 20, text: 25, "int4[]": 1007, "int8[]": 1016, "text[]": 1009 };
const ELEMENT: Record<string, "int4" | "int8" | "text"> = { "int4[]": "int4", "int8[]": "int8", "text[]": "text" };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A growing buffer of big-endian protocol data. */
class Writer {
  #buf = new Uint8Array(1 << 15);
  #view = new DataView(this.#buf.buffer);
  length = 0;

  #room(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.#buf.subarray(0, this.length));
    this.#buf = bigger;
    this.#view = new DataView(bigger.buffer);
  }
  byte(x: number): void {
    this.#room(1);
    this.#buf[this.length++] = x;
  }
  int16(x: number): void {
    this.#room(2);
    this.#view.setInt16(this.length, x);
    this.length += 2;
  }
  int32(x: number): void {
    this.#room(4);
    this.#view.setInt32(this.length, x);
    this.length += 4;
  }
  /** A safe integer as int64 (high word by floor division, so negatives are right too). */
  int64(x: number): void {
    this.#room(8);
    const high = Math.floor(x / 4294967296);
    this.#view.setInt32(this.length, high);
    this.#view.setUint32(this.length + 4, x - high * 4294967296);
    this.length += 8;
  }
  /** UTF-8 bytes of `s`, no terminator. */
  text(s: string): void {
    this.#room(s.length * 3);
    this.length += encoder.encodeInto(s, this.#buf.subarray(this.length)).written;
  }
  cstring(s: string): void {
    this.text(s);
    this.byte(0);
  }
  /** Reserve an int32 to fill in later with the byte count from after it to the end. */
  lengthHere(): () => void {
    const at = this.length;
    this.int32(0);
    return () => this.#view.setInt32(at, this.length - at - 4);
  }
  /** Reserve a message length (it counts itself). */
  messageLength(): () => void {
    const at = this.length;
    this.int32(0);
    return () => this.#view.setInt32(at, this.length - at);
  }
  /** The bytes written, in an ArrayBuffer of their own (transferable to a worker). */
  bytes(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
}

/** Parse (a named statement with typed parameters) and Sync. */
export function parseMessage(name: string, text: string, types: readonly ParamType[]): Uint8Array {
  const w = new Writer();
  w.byte(0x50); // 'P'
  const end = w.messageLength();
  w.cstring(name);
  w.cstring(text);
  w.int16(types.length);
  for (const t of types) w.int32(TYPE_OID[t]);
  end();
  sync(w);
  return w.bytes();
}

/** Bind (binary parameters, text results) to the named statement, Describe, Execute, Sync. */
export function bindExecuteMessage(name: string, types: readonly ParamType[], params: readonly ParamValue[]): Uint8Array {
  if (params.length !== types.length) throw new TypeError(`bindExecuteMessage: ${name} takes ${types.length} parameters, got ${params.length}`);
  const w = new Writer();
  w.byte(0x42); // 'B'
  const end = w.messageLength();
  w.cstring(""); // unnamed portal
  w.cstring(name);
  w.int16(1);
  w.int16(1); // every parameter in binary
  w.int16(params.length);
  params.forEach((value, i) => param(w, types[i]!, value, i));
  w.int16(0); // results in text
  end();
  w.byte(0x44); // 'D': describe the portal, for the columns' names
  w.int32(6);
  w.byte(0x50);
  w.byte(0);
  w.byte(0x45); // 'E'
  w.int32(9);
  w.cstring("");
  w.int32(0); // all rows
  sync(w);
  return w.bytes();
}

function sync(w: Writer): void {
  w.byte(0x53); // 'S'
  w.int32(4);
}

function param(w: Writer, type: ParamType, value: ParamValue, index: number): void {
  if (value === null) return w.int32(-1);
  const done = w.lengthHere();
  const element = ELEMENT[type];
  if (element === undefined) {
    if (Array.isArray(value)) throw new TypeError(`parameter $${index + 1} is ${type}, got a list`);
    scalar(w, type as "int4" | "int8" | "text", value, index);
    return done();
  }
  if (!Array.isArray(value)) throw new TypeError(`parameter $${index + 1} is ${type}, got ${typeof value}`);
  // array_recv: dimensions, has-nulls flag, element type, then per dimension its length and lower bound
  w.int32(1);
  w.int32(value.includes(null) ? 1 : 0);
  w.int32(TYPE_OID[element]);
  w.int32(value.length);
  w.int32(1);
  for (const x of value) {
    if (x === null) {
      w.int32(-1);
      continue;
    }
    const item = w.lengthHere();
    scalar(w, element, x, index);
    item();
  }
  done();
}

function scalar(w: Writer, type: "int4" | "int8" | "text", value: string | number, index: number): void {
  if (type === "text") {
    if (typeof value !== "string") throw new TypeError(`parameter $${index + 1}: text expected, got ${typeof value}`);
    return w.text(value);
  }
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new TypeError(`parameter $${index + 1}: ${type} expected, got ${String(value)}`);
  if (type === "int4") w.int32(value);
  else w.int64(value);
}

/** An ErrorResponse from the server, with its fields (SQLSTATE `code`, `detail`, …). */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly detail: string | undefined,
  ) {
    super(message);
  }
}

/**
 * The rows of a response (RowDescription's names, DataRows in text), or the server's error. Values
 * stay text (`null` for SQL NULL): callers convert what they read.
 */
export function readRows(bytes: Uint8Array): Array<Record<string, string | null>> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let names: string[] = [];
  const rows: Array<Record<string, string | null>> = [];
  let error: ProtocolError | undefined;
  for (let at = 0; at < bytes.length; ) {
    const type = bytes[at]!;
    const length = view.getInt32(at + 1);
    const body = at + 5;
    const end = at + 1 + length;
    if (type === 0x54) {
      // 'T': field count, then per field a name and 18 bytes of attributes
      names = [];
      let p = body + 2;
      for (let f = view.getInt16(body); f > 0; f--) {
        const zero = bytes.indexOf(0, p);
        names.push(decoder.decode(bytes.subarray(p, zero)));
        p = zero + 1 + 18;
      }
    } else if (type === 0x44) {
      // 'D': per column a length (-1: NULL) and the bytes
      const row: Record<string, string | null> = {};
      let p = body + 2;
      for (let f = 0, n = view.getInt16(body); f < n; f++) {
        const len = view.getInt32(p);
        p += 4;
        row[names[f] ?? String(f)] = len < 0 ? null : decoder.decode(bytes.subarray(p, p + len));
        if (len > 0) p += len;
      }
      rows.push(row);
    } else if (type === 0x45 && !error) {
      error = errorResponse(bytes.subarray(body, end));
    }
    at = end;
  }
  if (error) throw error;
  return rows;
}

function errorResponse(fields: Uint8Array): ProtocolError {
  const byCode = new Map<string, string>();
  for (let p = 0; p < fields.length && fields[p] !== 0; ) {
    const zero = fields.indexOf(0, p + 1);
    byCode.set(String.fromCharCode(fields[p]!), decoder.decode(fields.subarray(p + 1, zero)));
    p = zero + 1;
  }
  return new ProtocolError(byCode.get("M") ?? "database error", byCode.get("C"), byCode.get("D"));
}
