#!/usr/bin/env node
/**
 * `npm start [-- serve options]`: build, then serve the emulator and the demo page.
 *
 * The port is checked first. The build starts by emptying dist/, which a running emulator serves the page
 * from: a second `npm start` on a port already in use must say so before it touches dist/, not after a
 * build that broke the first one's page. The check is the one `serve` makes (bind, let go); `serve`
 * checks again and names the port if it was taken since.
 */
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const args = process.argv.slice(2);
const { values } = parseArgs({ args, options: { port: { type: "string" }, host: { type: "string" } }, strict: false });
const host = typeof values.host === "string" ? values.host : "127.0.0.1";
const port = typeof values.port === "string" ? Number(values.port) : 8765;

if (Number.isInteger(port) && port > 0 && port <= 65535) {
  const error = await new Promise((resolve) => {
    const server = createServer();
    server.once("error", resolve);
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
  if (error?.code === "EADDRINUSE") {
    console.error(`npm start: port ${port} on ${host} is in use (EADDRINUSE) — another emulator may be running there; dist/ left as it is. Choose another port: npm start -- --port N (0 picks a free one).`);
    process.exit(1);
  }
  // Other refusals (a host that is not this computer's, a privileged port) are worded by serve itself.
}

const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.env.npm_execpath;
const build = npm
  ? spawnSync(process.execPath, [npm, "run", "build"], { cwd: root, stdio: "inherit" })
  : spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
if (build.status !== 0) process.exit(build.status ?? 1);

// serve runs in this process (signals reach it as they would `atomscale-stream serve`).
process.argv = [process.argv[0], fileURLToPath(new URL("../dist/cli/bin.js", import.meta.url)), "serve", ...args];
await import(pathToFileURL(process.argv[1]).href);
