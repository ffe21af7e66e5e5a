/**
 * Checks of what users hand the library (design §3.8). Every refusal names the field and the value,
 * and happens before anything of the call is accepted.
 */

/** Timestamps above this are not plausible epoch seconds (year 5138): they are milliseconds or finer. */
export const MAX_EPOCH_SECONDS = 1e11;
export const MAX_CHANNEL_NAME = 255;

export class InvalidInputError extends TypeError {
  override readonly name = "InvalidInputError";
  readonly code = "invalid_input";
  constructor(
    /** The field, e.g. `timestamps[3]` or `channels.temperature.values`. */
    readonly field: string,
    readonly value: unknown,
    problem: string,
  ) {
    super(`${field} ${problem} (got ${show(value)}).`);
  }
}

function show(value: unknown): string {
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === undefined) return "undefined";
  if (ArrayBuffer.isView(value) || Array.isArray(value)) return `an array of ${(value as ArrayLike<unknown>).length}`;
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 57)}...` : json;
  } catch {
    return String(value);
  }
}

export function checkDataId(dataId: unknown, field = "dataId"): asserts dataId is string {
  if (typeof dataId !== "string" || dataId.trim() === "") throw new InvalidInputError(field, dataId, "must be the non-empty data id that initialize() returned");
}

/** The platform's database cannot hold NUL (U+0000) in text: refused up front, naming the field. */
export function checkNoNul(text: string, field: string): void {
  if (text.includes("\u0000")) {
    throw new InvalidInputError(field, text, "contains a NUL character (U+0000), which the platform cannot store; remove it");
  }
}

export function checkChannel(name: unknown, field = "channelName"): asserts name is string {
  if (typeof name !== "string") throw new InvalidInputError(field, name, "must be a string");
  checkNoNul(name, field);
  // Fast path: UTF-16 length bounds the number of characters from above.
  if (name.length >= 1 && name.length <= MAX_CHANNEL_NAME) return;
  const n = [...name].length;
  if (n < 1 || n > MAX_CHANNEL_NAME) throw new InvalidInputError(field, name, `must be 1–${MAX_CHANNEL_NAME} characters long, not ${n}`);
}

export function checkChunkIndex(index: unknown, field = "chunkIndex"): asserts index is number {
  if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0) {
    throw new InvalidInputError(field, index, "must be a whole number ≥ 0");
  }
}

export function checkUnits(units: unknown, field = "units"): asserts units is string | undefined {
  if (units !== undefined && units !== null && typeof units !== "string") throw new InvalidInputError(field, units, "must be a string when given");
  if (typeof units === "string") checkNoNul(units, field);
}

/** A stream name: text without NUL, when given. */
export function checkStreamName(name: unknown, field = "streamName"): asserts name is string | undefined {
  if (name === undefined || name === null) return;
  if (typeof name !== "string") throw new InvalidInputError(field, name, "must be a string when given");
  checkNoNul(name, field);
}

/** Tag names: a list of non-empty strings without NUL. */
export function checkTags(tags: unknown, field = "tags"): asserts tags is string[] | undefined {
  if (tags === undefined) return;
  if (!Array.isArray(tags)) throw new InvalidInputError(field, tags, "must be an array of tag names");
  tags.forEach((t, i) => {
    if (typeof t !== "string" || t.trim() === "") throw new InvalidInputError(`${field}[${i}]`, t, "must be a non-empty string");
    checkNoNul(t, `${field}[${i}]`);
  });
}

export function checkTimestamp(t: unknown, field: string): asserts t is number {
  if (typeof t !== "number" || !Number.isFinite(t)) throw new InvalidInputError(field, t, "must be a finite number of Unix epoch seconds");
  if (Math.abs(t) >= MAX_EPOCH_SECONDS) {
    throw new InvalidInputError(
      field,
      t,
      `looks like milliseconds (or finer): the platform expects Unix epoch seconds, e.g. ${(t / 1000).toFixed(3)} for this one (divide by 1000; Date.now()/1000 in JavaScript)`,
    );
  }
}

export function checkValue(v: unknown, field: string): asserts v is number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new InvalidInputError(field, v, "must be a finite number");
}

/** Timestamps and values of one channel: equal lengths, finite numbers, seconds; at most `maxPoints` when known. */
export function checkPoints(
  timestamps: unknown,
  values: unknown,
  prefix: string,
  maxPoints?: number,
): asserts timestamps is ArrayLike<number> {
  const tName = prefix ? `${prefix}.timestamps` : "timestamps";
  const vName = prefix ? `${prefix}.values` : "values";
  if (!isNumberList(timestamps)) throw new InvalidInputError(tName, timestamps, "must be an array of numbers");
  if (!isNumberList(values)) throw new InvalidInputError(vName, values, "must be an array of numbers");
  if (timestamps.length !== values.length) {
    throw new InvalidInputError(vName, values, `must have as many entries as ${tName} (${timestamps.length}), not ${values.length}`);
  }
  if (values.length === 0) {
    throw new InvalidInputError(vName, values, "must hold at least one point (the platform rejects an empty slice)");
  }
  if (maxPoints !== undefined && values.length > maxPoints) {
    throw new InvalidInputError(vName, values, `holds ${values.length} points, more than the stream's pointsPerChunk (${maxPoints})`);
  }
  for (let i = 0; i < timestamps.length; i++) checkTimestamp(timestamps[i], `${tName}[${i}]`);
  for (let i = 0; i < values.length; i++) checkValue(values[i], `${vName}[${i}]`);
}

function isNumberList(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || x instanceof Float64Array || x instanceof Float32Array;
}

/** A reading as the streams API takes it; `index` names it within a batch. */
export function checkReading(r: unknown, index?: number): void {
  // Hot path (every reading): plain checks first, field names built only to report a failure.
  if (typeof r === "object" && r !== null) {
    const { channel, t, value, units } = r as Record<string, unknown>;
    if (
      typeof channel === "string" && channel.length >= 1 && channel.length <= MAX_CHANNEL_NAME && !channel.includes("\u0000") &&
      typeof t === "number" && Number.isFinite(t) && Math.abs(t) < MAX_EPOCH_SECONDS &&
      typeof value === "number" && Number.isFinite(value) &&
      (units === undefined || (typeof units === "string" && !units.includes("\u0000")))
    ) {
      return;
    }
  }
  const field = index === undefined ? "reading" : `readings[${index}]`;
  if (typeof r !== "object" || r === null) throw new InvalidInputError(field, r, "must be an object { channel, t, value, units? }");
  const reading = r as Record<string, unknown>;
  checkChannel(reading.channel, `${field}.channel`);
  checkTimestamp(reading.t, `${field}.t`);
  checkValue(reading.value, `${field}.value`);
  checkUnits(reading.units, `${field}.units`);
}
