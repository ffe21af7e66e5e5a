/** Which module-resolution errors mean "an emulator package is missing", in Node's and Deno's words. */
import { describe, expect, it } from "vitest";
import { EmulatorDependencyError, missingEmulatorPackage, withEmulatorDependencies } from "../../lib/emulator/peer-dependencies.js";

function nodeError(message: string): Error {
  return Object.assign(new Error(message), { code: "ERR_MODULE_NOT_FOUND" });
}

describe("missingEmulatorPackage", () => {
  it("names the package from Node's and Deno's messages, subpath imports included", () => {
    expect(missingEmulatorPackage(nodeError("Cannot find package 'hono' imported from /p/dist/emulator/app.js"))).toBe("hono");
    expect(missingEmulatorPackage(nodeError("Cannot find package '@hono/node-server' imported from /p/dist/emulator/start.js"))).toBe("@hono/node-server");
    expect(missingEmulatorPackage(nodeError("Cannot find package '@electric-sql/pglite' imported from /p/x.js"))).toBe("@electric-sql/pglite");
    expect(missingEmulatorPackage(nodeError("Cannot find module 'hono/body-limit' imported from /p/x.js"))).toBe("hono");
    expect(missingEmulatorPackage(new Error("Could not find package 'postgres' from referrer 'file:///p/dist/emulator/database.js'."))).toBe("postgres");
  });

  it("leaves every other error alone", () => {
    expect(missingEmulatorPackage(nodeError("Cannot find package 'left-pad' imported from /p/x.js"))).toBeUndefined();
    expect(missingEmulatorPackage(new Error("relation \"streams\" does not exist (postgres)"))).toBeUndefined();
    expect(missingEmulatorPackage(new Error('role "postgres" not found'))).toBeUndefined();
    expect(missingEmulatorPackage(new Error('database "postgres" does not exist'))).toBeUndefined();
    expect(missingEmulatorPackage(new Error("listen EADDRINUSE: address already in use 127.0.0.1:8765"))).toBeUndefined();
    expect(missingEmulatorPackage("Cannot find package 'hono'")).toBeUndefined();
  });

  it("withEmulatorDependencies turns only a missing package into an EmulatorDependencyError, with its cause", async () => {
    const missing = nodeError("Cannot find package 'hono' imported from /p/dist/emulator/app.js");
    const error = await withEmulatorDependencies(() => Promise.reject(missing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorDependencyError);
    expect(error).toMatchObject({ code: "ERR_EMULATOR_DEPENDENCY", packageName: "hono", cause: missing });
    expect((error as Error).message).toContain("npm install hono @hono/node-server @electric-sql/pglite postgres");

    const other = new Error("the data directory is in use by another emulator (pid 42)");
    await expect(withEmulatorDependencies(() => Promise.reject(other))).rejects.toBe(other);
    await expect(withEmulatorDependencies(async () => 7)).resolves.toBe(7);
  });
});
