/** The read-back's two shapes (`properties`, legacy `series`) as the client's one. */
import { ApiError } from "./errors.js";
import { isObject, numeric } from "./lenient.js";
import type { Timeseries, TimeseriesProperty } from "./types.js";
import type { TimeseriesPropertiesWire, TimeseriesSeriesWire } from "./wire.js";

const SERIES_TIME_COLUMNS = new Set(["unix_timestamp_ms", "relative_time_seconds", "frame_number"]);

/**
 * Both documented read-back shapes become the property-centric one. Numbers may arrive as numbers or
 * as numeric strings (the platform keeps timestamps as DECIMAL(13,3) seconds and may send a Decimal as
 * text); both become numbers. `properties` is a null-prototype object, so a channel named `__proto__`,
 * `constructor` or `toString` is an ordinary own key: read it with `Object.entries` or `Object.hasOwn`.
 */
export function normalizeTimeseries(raw: TimeseriesPropertiesWire | TimeseriesSeriesWire): Timeseries {
  const properties = Object.create(null) as Record<string, TimeseriesProperty>;
  if (isObject(raw) && "properties" in raw && isObject(raw.properties)) {
    for (const [name, p] of Object.entries(raw.properties)) {
      if (!isObject(p)) throw badShape(raw, `property ${JSON.stringify(name)} is not an object`);
      properties[name] = {
        unixTimestampMs: numbers(p.unix_timestamp_ms, name, "unix_timestamp_ms", raw),
        relativeTimeSeconds: numbers(p.relative_time_seconds, name, "relative_time_seconds", raw),
        values: numbers(p.values, name, "values", raw),
        units: typeof p.units === "string" ? p.units : null,
      };
    }
    return { properties };
  }
  if (isObject(raw) && "series" in raw && Array.isArray(raw.series)) {
    for (const row of raw.series) {
      if (!isObject(row)) continue;
      const t = nullableNumber(row.unix_timestamp_ms, "series", "unix_timestamp_ms", raw);
      if (t === null) continue; // rows without a time are dropped, as the Python SDK does
      const rel = nullableNumber(row.relative_time_seconds, "series", "relative_time_seconds", raw);
      for (const [name, value] of Object.entries(row)) {
        if (SERIES_TIME_COLUMNS.has(name)) continue;
        const p = (properties[name] ??= { unixTimestampMs: [], relativeTimeSeconds: [], values: [], units: null });
        p.unixTimestampMs.push(t);
        p.relativeTimeSeconds.push(rel);
        p.values.push(nullableNumber(value, name, "values", raw));
      }
    }
    return { properties };
  }
  throw badShape(raw, "expected a `properties` object or a `series` list");
}

function numbers(list: unknown, property: string, field: string, raw: unknown): Array<number | null> {
  if (list == null) return [];
  if (!Array.isArray(list)) throw badShape(raw, `${field} of ${JSON.stringify(property)} is not a list`);
  return list.map((x) => nullableNumber(x, property, field, raw));
}

function nullableNumber(x: unknown, property: string, field: string, raw: unknown): number | null {
  if (x === null || x === undefined) return null;
  const n = numeric(x);
  if (n === undefined) throw badShape(raw, `${field} of ${JSON.stringify(property)} holds ${JSON.stringify(x)}, not a number`);
  return n;
}

function badShape(raw: unknown, why: string): ApiError {
  let body: string;
  try {
    body = JSON.stringify(raw).slice(0, 300);
  } catch {
    body = String(raw).slice(0, 300);
  }
  return new ApiError({
    method: "GET",
    path: "timeseries",
    status: 200,
    code: "bad_response",
    classification: "permanent",
    body,
    detail: `Unrecognised timeseries shape: ${why}.`,
  });
}
