/**
 * persistOnPageHide: the page switches it on; a hidden or unloading page sends the open chunks at once;
 * off() switches it off; outside a page it does nothing. (The page e2e tests run it in Chromium.)
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { persistOnPageHide } from "../../lib/index.js";

afterEach(() => vi.unstubAllGlobals());

describe("persistOnPageHide", () => {
  it("sends the open chunks on pagehide and on visibilitychange to hidden, until switched off", () => {
    const win = new EventTarget();
    const doc = Object.assign(new EventTarget(), { visibilityState: "visible" });
    vi.stubGlobal("document", doc);
    vi.stubGlobal("addEventListener", win.addEventListener.bind(win));
    vi.stubGlobal("removeEventListener", win.removeEventListener.bind(win));
    let sent = 0;
    const off = persistOnPageHide({ sendOpen: () => sent++ });
    doc.dispatchEvent(new Event("visibilitychange")); // still visible
    expect(sent).toBe(0);
    win.dispatchEvent(new Event("pagehide"));
    expect(sent).toBe(1);
    doc.visibilityState = "hidden";
    doc.dispatchEvent(new Event("visibilitychange"));
    expect(sent).toBe(2);
    off();
    win.dispatchEvent(new Event("pagehide"));
    doc.dispatchEvent(new Event("visibilitychange"));
    expect(sent).toBe(2);
  });

  it("outside a page: nothing to listen to, nothing sent", () => {
    let sent = 0;
    const off = persistOnPageHide({ sendOpen: () => sent++ });
    off();
    expect(sent).toBe(0);
  });
});
