/** Streams: create, look up, finalize. */
import type { Queryable, Row } from "../database.js";

export type CharSourceType = "metrology" | "tool_state";

export interface StreamRecord {
  data_id: string;
  processed_data_id: string;
  points_per_chunk: number;
  pipeline_status: string;
}

export interface NewStream {
  points_per_chunk: number;
  stream_name: string;
  char_source_type: CharSourceType;
  synth_source_id: number | null;
  physical_sample_id: string | null;
  project_id: string | null;
}

export async function createStream(db: Queryable, input: NewStream): Promise<{ data_id: string; processed_data_id: string }> {
  const data_id = crypto.randomUUID();
  const processed_data_id = crypto.randomUUID();
  await db.query(
    `insert into streams (data_id, processed_data_id, char_source_type, stream_name, points_per_chunk,
                          synth_source_id, physical_sample_id, project_id, pipeline_status)
     values ($1, $2, $3, $4, $5, $6, $7, $8, 'stream_active')`,
    [
      data_id,
      processed_data_id,
      input.char_source_type,
      input.stream_name,
      input.points_per_chunk,
      input.synth_source_id,
      input.physical_sample_id,
      input.project_id,
    ],
  );
  return { data_id, processed_data_id };
}

export async function getStream(db: Queryable, dataId: string): Promise<StreamRecord | undefined> {
  const [row] = await db.query<StreamRecord & Row>(
    `select data_id, processed_data_id, points_per_chunk, pipeline_status from streams where data_id = $1`,
    [dataId],
  );
  return row;
}

/** Mark a stream finalized. Returns false if it already was. */
export async function finalizeStream(db: Queryable, dataId: string): Promise<boolean> {
  const rows = await db.query(
    `update streams set pipeline_status = 'success', finalized_at = now(), last_updated = now()
     where data_id = $1 and pipeline_status = 'stream_active' returning data_id`,
    [dataId],
  );
  return rows.length > 0;
}
