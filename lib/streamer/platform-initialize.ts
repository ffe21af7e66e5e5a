/**
 * Creating a stream on the platform: the initialize request (on `/tool-state`, falling back to
 * `/metrology` when the platform answers 404 or 405 there, unless a prefix is forced), then the physical
 * sample link, the project tracking and the tags. Used by `initialize()` online and by the uploader for
 * an initialize queued offline.
 */
import type { AtomscaleClient, StreamPrefix } from "../api/client.js";
import { ApiError } from "../api/errors.js";
import { InvalidInputError } from "../input.js";
import type { QueuedInitialize } from "../outbox/outbox.js";

export interface Clients {
  /** The client of each prefix (same endpoint, same key). */
  of(prefix: StreamPrefix): AtomscaleClient;
  /** A prefix the caller forced, or undefined: try `/tool-state`, then `/metrology`. */
  forced: StreamPrefix | undefined;
}

export interface Created {
  dataId: string;
  prefix: StreamPrefix;
}

/** One initialize request (two when the first prefix is not served). */
export async function createStream(clients: Clients, init: QueuedInitialize, signal?: AbortSignal): Promise<Created> {
  const prefixes: StreamPrefix[] = clients.forced ? [clients.forced] : ["/tool-state", "/metrology"];
  for (let i = 0; ; i++) {
    const prefix = prefixes[i]!;
    try {
      const { dataId } = await clients.of(prefix).initializeStream(
        {
          pointsPerChunk: init.pointsPerChunk,
          streamName: init.streamName,
          synthSourceId: init.synthSourceId,
          projectId: init.projectId,
        },
        signal,
      );
      return { dataId, prefix };
    } catch (error) {
      const notServed = error instanceof ApiError && (error.status === 404 || error.status === 405);
      if (!notServed || i + 1 >= prefixes.length) throw error;
    }
  }
}

/** The sample link, project tracking and tags of a created stream. */
export async function linkStream(client: AtomscaleClient, dataId: string, init: QueuedInitialize): Promise<void> {
  if (init.physicalSample) {
    const sampleId = await resolveSample(client, init.physicalSample);
    await client.linkPhysicalSample({ dataIds: [dataId], physicalSampleId: sampleId });
    if (init.projectId) await client.trackSampleInProject({ projectId: init.projectId, physicalSampleId: sampleId, setActive: true });
  }
  if (init.tags.length > 0) await client.attachTags(dataId, init.tags);
}

async function resolveSample(client: AtomscaleClient, sample: string): Promise<string> {
  const samples = await client.listPhysicalSamples();
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sample)) {
    const found = samples.find((s) => s.id.toLowerCase() === sample.toLowerCase());
    if (!found) throw new InvalidInputError("physicalSample", sample, "is a UUID that matches no physical sample of your organization");
    return found.id;
  }
  const lower = sample.toLowerCase();
  const byName = samples.find((s) => (s.name ?? "").toLowerCase() === lower);
  if (byName) return byName.id;
  return (await client.createPhysicalSample({ name: sample })).id;
}

/** A stream id for a stream started offline: `local-` and a random UUID (the platform's ids are bare UUIDs). */
export function localStreamId(): string {
  const uuid =
    typeof globalThis.crypto?.randomUUID === "function"
      ? globalThis.crypto.randomUUID()
      : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) => (Number(c) ^ (Math.random() * 16) >> (Number(c) / 4)).toString(16));
  return `local-${uuid}`;
}

export function isLocalStreamId(id: string): boolean {
  return id.startsWith("local-");
}
