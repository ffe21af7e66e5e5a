/**
 * Request validation with FastAPI/pydantic-shaped errors: `422 {"detail": [{type, loc, msg, input, ctx?}]}`.
 * Stricter than pydantic's lax mode where that is safe (numeric strings are refused, not coerced):
 * a client that passes here also passes on the platform.
 */
import type { ValidationErrorItem } from "../api/wire.js";

export type Loc = Array<string | number>;
export type JsonObject = Record<string, unknown>;

/** At most this many element errors are reported per array, so a bad 100k-point array gives a short answer. */
const MAX_ELEMENT_ERRORS = 5;
/** DECIMAL(13,3) holds 10 digits before the point: seconds up to the year 2286. */
const MAX_SECONDS = 1e10;
/** In a `u` regex a surrogate pair is one code point, so this matches only unpaired halves. */
const LONE_SURROGATE = /\p{Cs}/u;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export class Validator {
  readonly errors: ValidationErrorItem[] = [];

  get ok(): boolean {
    return this.errors.length === 0;
  }

  add(type: string, loc: Loc, msg: string, input: unknown, ctx?: Record<string, unknown>): void {
    this.errors.push(ctx ? { type, loc, msg, input, ctx } : { type, loc, msg, input });
  }

  /** The body must be a JSON object. */
  object(value: unknown, loc: Loc): value is JsonObject {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return true;
    this.add("model_attributes_type", loc, "Input should be a valid dictionary or object to extract fields from", value);
    return false;
  }

  /** Present and not null, else a `missing` error (pydantic reports the enclosing object as input). */
  required(obj: JsonObject, key: string, loc: Loc): boolean {
    if (obj[key] !== undefined) return true;
    this.add("missing", [...loc, key], "Field required", obj);
    return false;
  }

  integer(value: unknown, loc: Loc, bounds: { gt?: number; ge?: number; le?: number } = {}): value is number {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      this.add("int_type", loc, "Input should be a valid integer", value);
      return false;
    }
    if (!Number.isInteger(value)) {
      this.add("int_from_float", loc, "Input should be a valid integer, got a number with a fractional part", value);
      return false;
    }
    if (bounds.gt !== undefined && !(value > bounds.gt)) {
      this.add("greater_than", loc, `Input should be greater than ${bounds.gt}`, value, { gt: bounds.gt });
      return false;
    }
    if (bounds.ge !== undefined && !(value >= bounds.ge)) {
      this.add("greater_than_equal", loc, `Input should be greater than or equal to ${bounds.ge}`, value, { ge: bounds.ge });
      return false;
    }
    if (bounds.le !== undefined && !(value <= bounds.le)) {
      this.add("less_than_equal", loc, `Input should be less than or equal to ${bounds.le}`, value, { le: bounds.le });
      return false;
    }
    return true;
  }

  /**
   * A string the database can hold: no NUL character (PostgreSQL text cannot store U+0000) and no
   * lone surrogate (not encodable as UTF-8); optional length bounds in characters.
   */
  string(value: unknown, loc: Loc, length: { min?: number; max?: number } = {}): value is string {
    if (typeof value !== "string") {
      this.add("string_type", loc, "Input should be a valid string", value);
      return false;
    }
    if (value.includes("\u0000")) {
      this.add("value_error", loc, "Value error, the text contains a NUL character (\\u0000), which cannot be stored; remove it", value);
      return false;
    }
    if (LONE_SURROGATE.test(value)) {
      this.add("value_error", loc, "Value error, the text contains a lone UTF-16 surrogate, which is not valid Unicode; remove it", value);
      return false;
    }
    const n = [...value].length;
    if (length.min !== undefined && n < length.min) {
      const unit = length.min === 1 ? "character" : "characters";
      this.add("string_too_short", loc, `String should have at least ${length.min} ${unit}`, value, { min_length: length.min });
      return false;
    }
    if (length.max !== undefined && n > length.max) {
      this.add("string_too_long", loc, `String should have at most ${length.max} characters`, value, { max_length: length.max });
      return false;
    }
    return true;
  }

  uuid(value: unknown, loc: Loc): value is string {
    if (typeof value === "string" && UUID.test(value)) return true;
    this.add("uuid_parsing", loc, "Input should be a valid UUID", value);
    return false;
  }

  /** A list of finite JSON numbers. */
  numberArray(value: unknown, loc: Loc): value is number[] {
    if (!Array.isArray(value)) {
      this.add("list_type", loc, "Input should be a valid list", value);
      return false;
    }
    let bad = 0;
    for (let i = 0; i < value.length; i++) {
      const x: unknown = value[i];
      if (typeof x !== "number" || !Number.isFinite(x)) {
        if (bad++ < MAX_ELEMENT_ERRORS) this.add("float_type", [...loc, i], "Input should be a valid number", x);
      }
    }
    return bad === 0;
  }

  /** A list of at least `min` items (pydantic's `too_short`). */
  minItems(value: unknown[], loc: Loc, min: number): boolean {
    if (value.length >= min) return true;
    const items = min === 1 ? "item" : "items";
    this.add("too_short", loc, `List should have at least ${min} ${items} after validation, not ${value.length}`, value, {
      field_type: "List",
      min_length: min,
      actual_length: value.length,
    });
    return false;
  }

  /** Timestamps that fit the platform's DECIMAL(13,3) seconds: |t| < 10^10 s. */
  decimalSeconds(values: number[], loc: Loc): boolean {
    let bad = 0;
    for (let i = 0; i < values.length; i++) {
      if (!(Math.abs(values[i]!) < MAX_SECONDS)) {
        if (bad++ < MAX_ELEMENT_ERRORS) {
          this.add("decimal_max_digits", [...loc, i], "Decimal input should have no more than 13 digits in total", values[i], { max_digits: 13 });
        }
      }
    }
    return bad === 0;
  }

  /** A list of strings, each checked by {@link string}. */
  stringArray(value: unknown, loc: Loc, length: { min?: number; max?: number } = {}): value is string[] {
    if (!Array.isArray(value)) {
      this.add("list_type", loc, "Input should be a valid list", value);
      return false;
    }
    const before = this.errors.length;
    value.forEach((x, i) => this.string(x, [...loc, i], length));
    return this.errors.length === before;
  }

  oneOf<T extends string>(value: unknown, loc: Loc, allowed: readonly T[]): value is T {
    if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return true;
    const expected = allowed.map((a) => `'${a}'`).join(", ").replace(/, ([^,]*)$/, " or $1");
    this.add("enum", loc, `Input should be ${expected}`, value, { expected });
    return false;
  }

  boolean(value: unknown, loc: Loc): value is boolean {
    if (typeof value === "boolean") return true;
    this.add("bool_type", loc, "Input should be a valid boolean", value);
    return false;
  }
}

/** Query-string booleans as FastAPI reads them. */
export function parseQueryBool(raw: string | undefined, loc: Loc, v: Validator): boolean | undefined {
  if (raw === undefined) return undefined;
  const s = raw.toLowerCase();
  if (["true", "1", "yes", "on", "t", "y"].includes(s)) return true;
  if (["false", "0", "no", "off", "f", "n"].includes(s)) return false;
  v.add("bool_parsing", loc, "Input should be a valid boolean, unable to interpret input", raw);
  return undefined;
}

/** Query-string integers as FastAPI reads them. */
export function parseQueryInt(raw: string | undefined, loc: Loc, v: Validator, bounds: { ge?: number } = {}): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(raw.trim())) {
    v.add("int_parsing", loc, "Input should be a valid integer, unable to parse string as an integer", raw);
    return undefined;
  }
  const n = Number(raw);
  return v.integer(n, loc, bounds) ? n : undefined;
}
