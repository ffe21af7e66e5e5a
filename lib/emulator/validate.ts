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

  string(value: unknown, loc: Loc, length: { min?: number; max?: number } = {}): value is string {
    if (typeof value !== "string") {
      this.add("string_type", loc, "Input should be a valid string", value);
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
