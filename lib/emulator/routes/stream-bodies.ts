/** The stream endpoints' request bodies (reference §1.1–1.3), checked into typed values. */
import type { SliceInput } from "../store.js";
import type { JsonObject, Loc, Validator } from "../validate.js";

/** `points_per_chunk` is stored as a 32-bit integer. */
export const MAX_POINTS_PER_CHUNK = 2_147_483_647;
/**
 * The work one request may ask for, so that no request stalls the others (the database work and the
 * JSON of a request grow with these): channels in one `chunk/multi`, and points in one request.
 */
export const MAX_CHANNELS_PER_REQUEST = 1000;
export const MAX_POINTS_PER_REQUEST = 100_000;

export interface InitializeInput {
  points_per_chunk: number;
  stream_name: string | null;
  synth_source_id: number | null;
  physical_sample_id: string | null;
  project_id: string | null;
}

export interface ChunkInput {
  data_id: string;
  chunk_index: number;
  slices: SliceInput[];
  /** Where each channel's values are, for errors found once the stream is known. */
  valuesLoc: (channel: string) => Loc;
}

export function checkInitialize(body: unknown, v: Validator): InitializeInput | undefined {
  if (!v.object(body, ["body"])) return undefined;
  if (v.required(body, "points_per_chunk", ["body"])) {
    v.integer(body.points_per_chunk, ["body", "points_per_chunk"], { gt: 0, le: MAX_POINTS_PER_CHUNK });
  }
  const input: InitializeInput = {
    points_per_chunk: body.points_per_chunk as number,
    stream_name: optional<string>(v, body, "stream_name", (x, loc) => v.string(x, loc)),
    synth_source_id: optional<number>(v, body, "synth_source_id", (x, loc) => v.integer(x, loc)),
    physical_sample_id: optional<string>(v, body, "physical_sample_id", (x, loc) => v.uuid(x, loc)),
    project_id: optional<string>(v, body, "project_id", (x, loc) => v.uuid(x, loc)),
  };
  return v.ok ? input : undefined;
}

export function checkChunk(body: unknown, v: Validator): ChunkInput | undefined {
  if (!v.object(body, ["body"])) return undefined;
  const dataId = requiredString(v, body, "data_id");
  const chunkIndex = requiredChunkIndex(v, body);
  if (v.required(body, "channel_name", ["body"])) v.string(body.channel_name, ["body", "channel_name"], { min: 1, max: 255 });
  const slice = channelPoints(v, body, ["body"], body.channel_name as string);
  if (slice && slice.values.length > MAX_POINTS_PER_REQUEST) tooManyPoints(v, ["body", "values"], slice.values.length);
  if (!v.ok || !slice) return undefined;
  return { data_id: dataId!, chunk_index: chunkIndex!, slices: [slice], valuesLoc: () => ["body", "values"] };
}

export function checkChunkMulti(body: unknown, v: Validator): ChunkInput | undefined {
  if (!v.object(body, ["body"])) return undefined;
  const dataId = requiredString(v, body, "data_id");
  const chunkIndex = requiredChunkIndex(v, body);
  const slices: SliceInput[] = [];
  if (v.required(body, "channels", ["body"])) {
    const channels = body.channels;
    if (typeof channels !== "object" || channels === null || Array.isArray(channels)) {
      v.add("dict_type", ["body", "channels"], "Input should be a valid dictionary", channels);
    } else {
      // JSON.parse makes every key an own property, `__proto__` included.
      const names = Object.keys(channels);
      if (names.length === 0) {
        v.add("too_short", ["body", "channels"], "Dictionary should have at least 1 item after validation, not 0", channels, {
          field_type: "Dictionary",
          min_length: 1,
          actual_length: 0,
        });
      } else if (names.length > MAX_CHANNELS_PER_REQUEST) {
        v.add(
          "too_long",
          ["body", "channels"],
          `Dictionary should have at most ${MAX_CHANNELS_PER_REQUEST} items after validation, not ${names.length}; send the channels in several requests`,
          `{${names.length} channels}`,
          { field_type: "Dictionary", max_length: MAX_CHANNELS_PER_REQUEST, actual_length: names.length },
        );
      } else {
        let points = 0;
        for (const name of names) {
          const loc = ["body", "channels", name];
          if (!v.string(name, [...loc, "[key]"], { min: 1, max: 255 })) continue;
          const points_ = (channels as JsonObject)[name];
          if (!v.object(points_, loc)) continue;
          const slice = channelPoints(v, points_, loc, name);
          if (slice) {
            slices.push(slice);
            points += slice.values.length;
          }
        }
        if (points > MAX_POINTS_PER_REQUEST) tooManyPoints(v, ["body", "channels"], points);
      }
    }
  }
  if (!v.ok) return undefined;
  return { data_id: dataId!, chunk_index: chunkIndex!, slices, valuesLoc: (name) => ["body", "channels", name, "values"] };
}

function tooManyPoints(v: Validator, loc: Loc, points: number): void {
  v.add(
    "value_error",
    loc,
    `Value error, ${points} points in one request exceed the limit of ${MAX_POINTS_PER_REQUEST}; send them in several requests`,
    points,
    { max_points: MAX_POINTS_PER_REQUEST },
  );
}

function optional<T>(v: Validator, obj: JsonObject, key: string, check: (value: unknown, loc: Loc) => boolean): T | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  return check(value, ["body", key]) ? (value as T) : null;
}

export function requiredString(v: Validator, body: JsonObject, key: string, length: { min?: number } = {}): string | undefined {
  if (!v.required(body, key, ["body"])) return undefined;
  return v.string(body[key], ["body", key], length) ? (body[key] as string) : undefined;
}

function requiredChunkIndex(v: Validator, body: JsonObject): number | undefined {
  if (!v.required(body, "chunk_index", ["body"])) return undefined;
  return v.integer(body.chunk_index, ["body", "chunk_index"], { ge: 0, le: Number.MAX_SAFE_INTEGER }) ? body.chunk_index : undefined;
}

/**
 * `timestamps`, `values` (non-empty numeric lists of equal length; timestamps within DECIMAL(13,3)
 * seconds) and optional `units` of one channel. The platform rejects an empty chunk.
 */
function channelPoints(v: Validator, obj: JsonObject, loc: Loc, channelName: string): SliceInput | undefined {
  const before = v.errors.length;
  const ts = v.required(obj, "timestamps", loc) && v.numberArray(obj.timestamps, [...loc, "timestamps"]);
  const vals = v.required(obj, "values", loc) && v.numberArray(obj.values, [...loc, "values"]);
  const units = obj.units === undefined || obj.units === null ? undefined : v.string(obj.units, [...loc, "units"]) ? (obj.units as string) : undefined;
  if (ts && vals) {
    const t = obj.timestamps as number[];
    const x = obj.values as number[];
    const nonEmpty = [v.minItems(t, [...loc, "timestamps"], 1), v.minItems(x, [...loc, "values"], 1)].every(Boolean);
    if (nonEmpty && t.length !== x.length) {
      v.add("value_error", [...loc, "values"], `Value error, timestamps and values must have the same length (${t.length} timestamps, ${x.length} values)`, x.length);
    }
    v.decimalSeconds(t, [...loc, "timestamps"]);
  }
  if (v.errors.length > before) return undefined;
  return { channel_name: channelName, timestamps: obj.timestamps as number[], values: obj.values as number[], units };
}
