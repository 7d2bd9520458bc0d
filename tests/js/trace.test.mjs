// Tracing against a bytom2 dev node: `cast run` (forks at block N-1 over archive state
// and replays the block's earlier transactions locally), `cast call --trace`, and the
// node's own debug_traceTransaction / debug_traceBlockByNumber / trace_transaction
// through ethers' provider.send.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";
import { createRequire } from "node:module";
import { ethers } from "ethers";
import { startNode, DEV_KEYS, CHAIN_ID, repo } from "./helpers.mjs";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const cast = path.join(repo, "tests/node_modules/@foundry-rs/cast-linux-amd64/bin/cast");
const env = { ...process.env, FOUNDRY_OFFLINE: "true", FOUNDRY_DISABLE_NIGHTLY_WARNING: "1", NO_COLOR: "1" };

const SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;
contract Counter {
    uint256 public number;
    event Bumped(uint256 number);
    function increment() external { number += 1; emit Bumped(number); }
}
contract Holder {
    Counter public immutable counter;
    constructor(Counter c) { counter = c; }
    function bump() external { counter.increment(); }
    function bumpAndFail() external { counter.increment(); revert("no"); }
}
`;

/** Counter and Holder compiled with the npm solc. */
function compile() {
  const solc = require("solc");
  const input = {
    language: "Solidity",
    sources: { "Trace.sol": { content: SOURCE } },
    settings: { evmVersion: "cancun", outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (out.errors || []).filter((e) => e.severity === "error");
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const c = out.contracts["Trace.sol"];
  return {
    Counter: { abi: c.Counter.abi, bytecode: "0x" + c.Counter.evm.bytecode.object },
    Holder: { abi: c.Holder.abi, bytecode: "0x" + c.Holder.evm.bytecode.object },
  };
}

function providerFor(url) {
  return new ethers.JsonRpcProvider(url, CHAIN_ID, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
}

/** Deploys Counter and Holder with dev key `key`; returns the contracts. */
async function deploy(provider, key) {
  const { Counter, Holder } = compile();
  const wallet = new ethers.NonceManager(new ethers.Wallet(key, provider));
  const counter = await new ethers.ContractFactory(Counter.abi, Counter.bytecode, wallet).deploy();
  await counter.waitForDeployment();
  const holder = await new ethers.ContractFactory(Holder.abi, Holder.bytecode, wallet).deploy(await counter.getAddress());
  await holder.waitForDeployment();
  return { counter, holder, wallet };
}

let node;
let provider;
let counter;
let holder;
let counterAddr;
let holderAddr;
let bump; // receipt of holder.bump()

before(async () => {
  node = await startNode();
  provider = providerFor(node.url);
  ({ counter, holder } = await deploy(provider, DEV_KEYS[0]));
  counterAddr = await counter.getAddress();
  holderAddr = await holder.getAddress();
  bump = await (await holder.bump()).wait();
  assert.equal(bump.status, 1);
});

after(async () => {
  provider.destroy();
  await node.stop();
});

test("debug_traceTransaction with the callTracer returns the call tree (ethers)", async () => {
  const t = await provider.send("debug_traceTransaction", [bump.hash, { tracer: "callTracer" }]);
  assert.equal(t.type, "CALL");
  assert.equal(ethers.getAddress(t.to), holderAddr);
  assert.equal(t.input, holder.interface.getFunction("bump").selector);
  assert.equal(BigInt(t.gasUsed), bump.gasUsed);
  assert.equal(t.error, undefined);
  assert.equal(t.calls.length, 1);
  assert.equal(ethers.getAddress(t.calls[0].to), counterAddr);
  assert.equal(t.calls[0].input, counter.interface.getFunction("increment").selector);

  // A reverting call: status 0, the top frame carries geth's error and the reason.
  const failed = await holder.bumpAndFail({ gasLimit: 200_000 });
  const receipt = await provider.waitForTransaction(failed.hash);
  assert.equal(receipt.status, 0);
  const f = await provider.send("debug_traceTransaction", [failed.hash, { tracer: "callTracer" }]);
  assert.equal(f.error, "execution reverted");
  assert.equal(f.revertReason, "no");
  assert.equal(BigInt(f.gasUsed), receipt.gasUsed);
  assert.equal(ethers.getAddress(f.calls[0].to), counterAddr);
  const logs = await provider.send("debug_traceTransaction", [failed.hash, {}]);
  assert.equal(logs.failed, true);
  assert.equal(BigInt(logs.gas), receipt.gasUsed);
  assert.ok(logs.structLogs.some((l) => l.op === "REVERT"));

  // The block and Parity views agree.
  const block = await provider.send("debug_traceBlockByNumber", [ethers.toQuantity(bump.blockNumber), { tracer: "callTracer" }]);
  assert.equal(block.length, 1);
  assert.equal(block[0].txHash, bump.hash);
  assert.deepEqual(block[0].result, t);
  const parity = await provider.send("trace_transaction", [bump.hash]);
  assert.equal(parity.length, 2);
  assert.deepEqual(parity.map((p) => p.traceAddress), [[], [0]]);
  assert.equal(parity[0].transactionHash, bump.hash);
  assert.equal(parity[0].blockNumber, bump.blockNumber);

  // Unknown tracers are refused, not faked.
  await assert.rejects(provider.send("debug_traceTransaction", [bump.hash, { tracer: "fooTracer" }]), /unknown tracer/);
});

test("cast run replays a mined contract call and prints its trace", async () => {
  const { stdout } = await run(cast, [
    "run", bump.hash, "--rpc-url", node.url,
    "--label", `${holderAddr}:Holder`, "--label", `${counterAddr}:Counter`,
  ], { env, maxBuffer: 10 * 1024 * 1024 });
  assert.match(stdout, /Traces:/);
  assert.match(stdout, /Holder::/);
  assert.match(stdout, /Counter::/);
  assert.match(stdout, /emit/);
  assert.match(stdout, /Transaction successfully executed/);
  assert.match(stdout, new RegExp(`Gas used: ${bump.gasUsed}\\b`));
});

test("cast call --trace forks the node and prints the trace of a call", async () => {
  const { stdout } = await run(cast, [
    "call", "--trace", holderAddr, "bump()", "--rpc-url", node.url,
    "--labels", `${holderAddr}:Holder`, "--labels", `${counterAddr}:Counter`,
  ], { env, maxBuffer: 10 * 1024 * 1024 });
  assert.match(stdout, /Traces:/);
  assert.match(stdout, /Holder::/);
  assert.match(stdout, /Counter::/);
  assert.match(stdout, /Transaction successfully executed/);
  // The node's own debug_traceCall sees the same call tree.
  const t = await provider.send("debug_traceCall", [{ to: holderAddr, data: holder.interface.getFunction("bump").selector }, "latest", { tracer: "callTracer" }]);
  assert.equal(ethers.getAddress(t.calls[0].to), counterAddr);
});

test("cast run and debug_traceTransaction replay the earlier transactions of the block", async () => {
  // Interval mining, so that two calls land in one block; the second one's gas depends
  // on the first (a zero slot written first costs more).
  const n2 = await startNode(["--block-time", "2"]);
  const p2 = providerFor(n2.url);
  try {
    const { holder: h2 } = await deploy(p2, DEV_KEYS[1]);
    const target = await h2.getAddress();
    const data = h2.interface.getFunction("bump").selector;
    let pair;
    for (let attempt = 0; attempt < 3 && !pair; attempt++) {
      const start = await p2.getBlockNumber();
      while ((await p2.getBlockNumber()) === start) await new Promise((r) => setTimeout(r, 20));
      const fees = await p2.getFeeData();
      const raws = [];
      for (const key of [DEV_KEYS[2], DEV_KEYS[3]]) {
        const w = new ethers.Wallet(key, p2);
        raws.push(await w.signTransaction({
          type: 2, chainId: CHAIN_ID, nonce: await p2.getTransactionCount(w.address, "pending"),
          to: target, data, gasLimit: 200_000n,
          maxFeePerGas: fees.maxFeePerGas * 2n, maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        }));
      }
      const res = await fetch(n2.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(raws.map((raw, i) => ({ jsonrpc: "2.0", id: i, method: "eth_sendRawTransaction", params: [raw] }))),
      });
      for (const a of await res.json()) assert.ok(!a.error, JSON.stringify(a.error));
      const receipts = await Promise.all(raws.map((raw) => p2.waitForTransaction(ethers.keccak256(raw))));
      if (receipts[0].blockNumber === receipts[1].blockNumber) pair = receipts;
    }
    assert.ok(pair, "the two calls landed in one block (3 tries)");
    const [first, second] = [...pair].sort((a, b) => a.index - b.index);
    assert.equal(second.index, 1);
    assert.notEqual(first.gasUsed, second.gasUsed);

    const t = await p2.send("debug_traceTransaction", [second.hash, { tracer: "callTracer" }]);
    assert.equal(BigInt(t.gasUsed), second.gasUsed);
    const { stdout } = await run(cast, ["run", second.hash, "--rpc-url", n2.url], { env, maxBuffer: 10 * 1024 * 1024 });
    assert.match(stdout, /Executing previous transactions from the block/);
    assert.match(stdout, new RegExp(`Gas used: ${second.gasUsed}\\b`));
  } finally {
    p2.destroy();
    await n2.stop();
  }
});
