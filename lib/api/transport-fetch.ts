/** The default transport outside Node (browsers, Deno, workers): `fetch`. Chosen by package.json "imports". */
import { fetchTransport, type Transport } from "./transport.js";

export const transportName = "fetch";
export const defaultTransport: Transport = fetchTransport();
