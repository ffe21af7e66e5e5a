/**
 * Page lifecycle for an UploadStream, switched on by the page: when the page is hidden or being unloaded
 * (`visibilitychange` to hidden, `pagehide`; never `unload`), the open chunks go out as partial slices
 * at once, so the platform shows them even if the tab is then discarded. Their readings are durable
 * either way (every resolved `write()` is in the outbox; the next load sends what is left).
 *
 * @example
 * const writable = streamer.writable(dataId);
 * const off = persistOnPageHide(writable); // off() when the recording stops
 */
export function persistOnPageHide(stream: { sendOpen(): void }): () => void {
  const doc = (globalThis as { document?: Document }).document;
  if (typeof globalThis.addEventListener !== "function" || doc === undefined) return () => {};
  const onHide = () => stream.sendOpen();
  const onVisibility = () => {
    if (doc.visibilityState === "hidden") stream.sendOpen();
  };
  globalThis.addEventListener("pagehide", onHide);
  doc.addEventListener("visibilitychange", onVisibility);
  return () => {
    globalThis.removeEventListener("pagehide", onHide);
    doc.removeEventListener("visibilitychange", onVisibility);
  };
}
