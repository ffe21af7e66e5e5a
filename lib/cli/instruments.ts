/** `atomscale-stream instruments`: the growth instruments (id, name, type), to choose `stream --instrument ID`. */
import { AtomscaleClient } from "../api/client.js";
import { ApiError } from "../api/errors.js";
import { apiHelp, API_OPTIONS, credentials, parseCommand, usage } from "./args.js";
import { describeError } from "./describe-error.js";
import { CliError } from "./errors.js";
import { versionLine } from "./version.js";

const COMMAND = "instruments";

const OPTIONS = {
  json: { type: "boolean" },
  ...API_OPTIONS,
} as const;

const HELP = `Usage: atomscale-stream instruments [options]

Lists the growth instruments of your organization: a table of ID, NAME, TYPE (and manufacturer and
model when known), or with --json one JSON object per line. Pass an ID to "atomscale-stream stream
--instrument ID" to link the stream to that instrument.

Options:
  --json                one JSON object per line: {"id": …, "name": …, "type": …, "manufacturer": …, "model": …}
${apiHelp(22)}

Exit codes: 0 listed (an empty list too), 1 error (unreachable server, refused key, …), 2 usage error.`;

export async function instrumentsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(COMMAND, argv, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.version) {
    console.log(versionLine());
    return 0;
  }
  if (positionals.length > 0) throw usage(COMMAND, `unexpected argument ${JSON.stringify(positionals[0])}.`);
  const { apiKey, endpoint } = credentials(COMMAND, values);
  const client = new AtomscaleClient({ apiKey, endpoint, timeoutMs: 15_000 });
  let instruments;
  try {
    instruments = await client.listGrowthInstruments();
  } catch (error) {
    const text = describeError(error, endpoint);
    const advice =
      error instanceof ApiError && error.classification === "auth"
        ? " Check the key (--api-key, or ATOMSCALE_API_KEY / AS_API_KEY) and run the command again."
        : error instanceof ApiError && error.status === 404
          ? ` Is --endpoint the API's base URL? It is ${endpoint}.`
          : "";
    throw new CliError(`instruments: ${text}.${advice}`, 1, { cause: error, code: "list_instruments" });
  }
  const rows = instruments
    .map((i) => ({ id: i.synthSourceId, name: i.sourceName, type: i.synthSourceType, manufacturer: i.sourceManufacturer, model: i.sourceModel }))
    .sort((a, b) => a.id - b.id);
  if (values.json) {
    for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    process.stderr.write(`atomscale-stream: instruments: ${endpoint} lists no growth instrument.\n`);
    return 0;
  }
  const idWidth = Math.max(2, ...rows.map((r) => String(r.id).length));
  const nameWidth = Math.max(4, ...rows.map((r) => r.name.length));
  const typeWidth = Math.max(4, ...rows.map((r) => r.type.length));
  const line = (id: string, name: string, type: string, rest: string) => `${id.padStart(idWidth)}  ${name.padEnd(nameWidth)}  ${type.padEnd(typeWidth)}  ${rest}`.trimEnd();
  const out = [line("ID", "NAME", "TYPE", "MANUFACTURER / MODEL")];
  for (const r of rows) out.push(line(String(r.id), r.name, r.type, [r.manufacturer, r.model].filter(Boolean).join(" / ")));
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
