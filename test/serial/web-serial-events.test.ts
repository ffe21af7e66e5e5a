/**
 * WebSerialConnection's events are typed (as the streamer's are): listeners read `detail` without a cast.
 * Type-checked by tsc (test/package/typecheck.test.ts); the events at run time are tested in
 * test/serial/web-serial.test.ts.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { WebSerialConnection, type SerialConnectionState, type WebSerialConnectionEventMap } from "../../lib/serial/index.js";

describe("WebSerialConnection events", () => {
  it("state and problem listeners read detail without a cast (type-checked by tsc)", () => {
    expectTypeOf<WebSerialConnectionEventMap["state"]["state"]>().toEqualTypeOf<SerialConnectionState>();
    expectTypeOf<WebSerialConnectionEventMap["problem"]>().toEqualTypeOf<{ name: string; message: string }>();
    type Add = WebSerialConnection["addEventListener"];
    const listen = (add: Add) => {
      add("state", (e) => expectTypeOf(e.detail.state).toEqualTypeOf<SerialConnectionState>());
      add("problem", (e) => expectTypeOf(e.detail.message).toEqualTypeOf<string>());
      // @ts-expect-error: a state event has no message
      add("state", (e) => void e.detail.message);
    };
    expect(typeof listen).toBe("function");
  });
});
