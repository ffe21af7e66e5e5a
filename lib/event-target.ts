/**
 * An EventTarget whose listeners are typed by an event map: `addEventListener("progress", (e) =>
 * e.detail.ackedPoints)` type-checks without a cast (the event is a `CustomEvent` of that event's detail).
 * Names outside the map fall back to EventTarget's own signature.
 */

/** EventTarget's own parameter types, named without the DOM library (the declarations compile under Node-only types too). */
type Listener = Parameters<EventTarget["addEventListener"]>[1];
type ListenerOptions = Parameters<EventTarget["addEventListener"]>[2];
type RemoveOptions = Parameters<EventTarget["removeEventListener"]>[2];

/** A listener of one event of the map. */
export type TypedListener<D> = ((event: CustomEvent<D>) => void) | { handleEvent(event: CustomEvent<D>): void };

export class TypedEventTarget<M> extends EventTarget {
  override addEventListener<K extends keyof M & string>(type: K, listener: TypedListener<M[K]> | null, options?: ListenerOptions): void;
  override addEventListener(type: string, listener: Listener, options?: ListenerOptions): void;
  override addEventListener(type: string, listener: Listener, options?: ListenerOptions): void {
    super.addEventListener(type, listener, options);
  }

  override removeEventListener<K extends keyof M & string>(type: K, listener: TypedListener<M[K]> | null, options?: RemoveOptions): void;
  override removeEventListener(type: string, listener: Listener, options?: RemoveOptions): void;
  override removeEventListener(type: string, listener: Listener, options?: RemoveOptions): void {
    super.removeEventListener(type, listener, options);
  }
}
