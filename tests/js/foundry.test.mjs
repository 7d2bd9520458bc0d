// Foundry's own binaries (npm @foundry-rs/*-linux-amd64) against a bytom2 dev node:
// cast send/call/balance, forge create and forge script --broadcast, compiling with the
// npm solc through tests/tools/solc (forge cannot download a compiler here).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startNode, DEV_KEYS, repo } from "./helpers.mjs";

const run = promisify(execFile);
const tests = path.join(repo, "tests");
const cast = path.join(tests, "node_modules/@foundry-rs/cast-linux-amd64/bin/cast");
const forge = path.join(tests, "node_modules/@foundry-rs/forge-linux-amd64/bin/forge");
const solc = path.join(tests, "tools/solc");
const env = { ...process.env, FOUNDRY_OFFLINE: "true", FOUNDRY_DISABLE_NIGHTLY_WARNING: "1", NO_COLOR: "1" };

let node;
let project;

before(async () => {
  node = await startNode();
  project = fs.mkdtempSync(path.join(os.tmpdir(), "bytom2-forge-"));
  fs.mkdirSync(path.join(project, "src"));
  fs.mkdirSync(path.join(project, "script"));
  fs.writeFileSync(path.join(project, "foundry.toml"), `[profile.default]\nsrc = "src"\nout = "out"\nlibs = []\noffline = true\nevm_version = "cancun"\n`);
  fs.writeFileSync(path.join(project, "src", "Counter.sol"), `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;
contract Counter {
    uint256 public number;
    event Bumped(uint256 number);
    constructor(uint256 start) { number = start; }
    function increment() external { number += 1; emit Bumped(number); }
}
contract Holder {
    Counter public immutable counter;
    constructor(Counter c) { counter = c; }
    function bump() external { counter.increment(); }
}
`);
  fs.writeFileSync(path.join(project, "script", "Deploy.s.sol"), `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;
import {Counter, Holder} from "../src/Counter.sol";
interface Vm { function startBroadcast() external; function stopBroadcast() external; }
contract Deploy {
    Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    function run() external {
        vm.startBroadcast();
        Counter c = new Counter(7);
        Holder h = new Holder(c);
        h.bump();
        vm.stopBroadcast();
    }
}
`);
});

after(async () => {
  await node.stop();
  fs.rmSync(project, { recursive: true, force: true });
});

test("cast balance, send and call", async () => {
  const me = (await run(cast, ["wallet", "address", "--private-key", DEV_KEYS[0]], { env })).stdout.trim();
  const bal = (await run(cast, ["balance", me, "--rpc-url", node.url], { env })).stdout.trim();
  assert.equal(bal, "10000000000000000000000");
  const to = "0x000000000000000000000000000000000000cafE";
  const sent = await run(cast, ["send", "--private-key", DEV_KEYS[0], "--rpc-url", node.url, "--json", to, "--value", "1ether"], { env });
  const receipt = JSON.parse(sent.stdout);
  assert.equal(receipt.status, "0x1");
  assert.equal((await run(cast, ["balance", to, "--rpc-url", node.url], { env })).stdout.trim(), "1000000000000000000");
  // cast call against the predeployed Multicall3.
  const out = await run(cast, ["call", "--rpc-url", node.url, "0xcA11bde05977b3631167028862bE2a173976CA11", "getChainId()(uint256)"], { env });
  assert.equal(out.stdout.trim().split(" ")[0], "19000");
});

test("forge create deploys a contract", async () => {
  const { stdout } = await run(forge, [
    "create", "--root", project, "--use", solc, "--rpc-url", node.url, "--private-key", DEV_KEYS[1],
    "--broadcast", "--json", "src/Counter.sol:Counter", "--constructor-args", "41",
  ], { env, cwd: project });
  const m = stdout.match(/"deployedTo"\s*:\s*"(0x[0-9a-fA-F]{40})"/);
  assert.ok(m, stdout);
  const addr = m[1];
  assert.match(addr, /^0x[0-9a-fA-F]{40}$/);
  const out = await run(cast, ["call", "--rpc-url", node.url, addr, "number()(uint256)"], { env });
  assert.equal(out.stdout.trim(), "41");
  await run(cast, ["send", "--private-key", DEV_KEYS[1], "--rpc-url", node.url, addr, "increment()"], { env });
  assert.equal((await run(cast, ["call", "--rpc-url", node.url, addr, "number()(uint256)"], { env })).stdout.trim(), "42");
});

test("forge script --broadcast deploys two contracts and calls one", async () => {
  const { stdout } = await run(forge, [
    "script", "script/Deploy.s.sol:Deploy", "--root", project, "--use", solc, "--rpc-url", node.url,
    "--private-key", DEV_KEYS[2], "--broadcast", "--slow",
  ], { env, cwd: project, maxBuffer: 10 * 1024 * 1024 });
  assert.match(stdout, /ONCHAIN EXECUTION COMPLETE & SUCCESSFUL/);
  const broadcast = JSON.parse(fs.readFileSync(path.join(project, "broadcast", "Deploy.s.sol", "19000", "run-latest.json"), "utf8"));
  assert.equal(broadcast.receipts.length, 3);
  for (const r of broadcast.receipts) assert.equal(r.status, "0x1");
  const counter = broadcast.transactions[0].contractAddress;
  assert.equal((await run(cast, ["call", "--rpc-url", node.url, counter, "number()(uint256)"], { env })).stdout.trim(), "8");
});
