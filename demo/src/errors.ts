/**
 * Errors in words a scientist understands: one sentence that says what happened and what to do, and the
 * technical detail (the library's message, its code, the server's answer) one click away.
 */
import { h } from "./dom.ts";

export interface Explained {
  /** What happened and what to do, in plain words. */
  sentence: string;
  /** The technical detail (never the API key: library errors never carry it). */
  detail: string;
}

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  status?: number;
  classification?: string;
  cause?: unknown;
}

/** Explain an error from the page, the library or the browser. `doing` names the action: "start the stream". */
export function explain(error: unknown, doing: string): Explained {
  const e = (error ?? {}) as ErrorLike;
  const detail = technical(error);
  const name = e.name ?? "";
  const code = e.code ?? "";
  if (name === "NotFoundError") return { sentence: "No port was chosen. Press Connect again and pick the instrument's port.", detail };
  if (name === "SerialConnectionError" || name === "NetworkError" || name === "InvalidStateError") {
    return {
      sentence: `Could not ${doing}: the serial port could not be opened. It may be open in another tab or program, or unplugged; on Linux your user may need to be in the "dialout" group.`,
      detail,
    };
  }
  if (name === "SecurityError") return { sentence: `Could not ${doing}: the browser did not allow access to serial ports here (use https or localhost).`, detail };
  if (name === "DriverConfigError" || name === "InvalidInputError" || name === "InputError") {
    return { sentence: `Could not ${doing}: ${e.message ?? "a setting is not valid."}`, detail };
  }
  if (name === "ApiError" || e.classification !== undefined) {
    if (e.classification === "auth" || e.status === 401 || e.status === 403) {
      return { sentence: `Could not ${doing}: the platform refused the API key. Enter a valid key in Settings.`, detail };
    }
    if (e.classification === "transient" || code === "network" || code === "timeout" || (e.status !== undefined && e.status >= 500)) {
      return {
        sentence: `Could not ${doing}: the platform cannot be reached right now (network or server down). Readings are still shown here; try again when it is back.`,
        detail,
      };
    }
    return { sentence: `Could not ${doing}: the platform refused the request — ${e.message?.replace(/^.*?failed: /, "") ?? "see the detail"}.`, detail };
  }
  if (name === "QuotaExceededError" || code === "outbox_quota") {
    return { sentence: `Could not ${doing}: this browser's storage is full. Free some space (or finish pending uploads) and try again.`, detail };
  }
  if (name === "TypeError" && /fetch/i.test(e.message ?? "")) {
    return { sentence: `Could not ${doing}: the platform cannot be reached right now. Readings are still shown here.`, detail };
  }
  return { sentence: `Could not ${doing}: ${e.message ?? String(error)}`, detail };
}

function technical(error: unknown): string {
  const lines: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e && depth < 4; depth++) {
    const x = e as ErrorLike;
    lines.push(`${x.name ?? "Error"}${x.code ? ` [${x.code}]` : ""}${x.status ? ` (HTTP ${x.status})` : ""}: ${x.message ?? String(e)}`);
    e = x.cause;
  }
  return lines.join("\n  caused by ");
}

/** Show an explained error (or clear the box with undefined): the sentence, then the detail behind a click. */
export function showError(box: HTMLElement, error: unknown, doing: string): void {
  if (error === undefined) {
    box.replaceChildren();
    box.hidden = true;
    return;
  }
  const { sentence, detail } = explain(error, doing);
  box.hidden = false;
  box.replaceChildren(h("p", {}, sentence), h("details", {}, h("summary", {}, "Technical detail"), h("pre", {}, detail)));
}
