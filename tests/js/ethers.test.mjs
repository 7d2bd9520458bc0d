// ethers v6 against a bytom2 dev node: an OpenZeppelin ERC-20, events, reverts, all
// three transaction types, geth error mapping, batches.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ethers } from "ethers";
import { startNode, contracts, DEV_KEYS, CHAIN_ID } from "./helpers.mjs";

let node;
let provider;
let wallet;

before(async () => {
  node = await startNode();
  provider = new ethers.JsonRpcProvider(node.url, CHAIN_ID, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
  wallet = new ethers.NonceManager(new ethers.Wallet(DEV_KEYS[0], provider));
});

after(async () => {
  provider.destroy();
  await node.stop();
});

test("deploys an OpenZeppelin ERC-20, transfers, reads Transfer from the receipt and eth_getLogs", async () => {
  const { TestToken } = contracts();
  const factory = new ethers.ContractFactory(TestToken.abi, TestToken.bytecode, wallet);
  const token = await factory.deploy(ethers.parseEther("1000"));
  await token.waitForDeployment();
  const address = await token.getAddress();
  assert.equal(await token.name(), "Test Token");
  assert.equal(await token.totalSupply(), ethers.parseEther("1000"));

  const to = ethers.Wallet.createRandom().address;
  const tx = await token.transfer(to, 123n);
  const receipt = await tx.wait();
  assert.equal(receipt.status, 1);
  const transfer = receipt.logs.map((l) => token.interface.parseLog(l)).find((e) => e && e.name === "Transfer");
  assert.equal(transfer.args.to, to);
  assert.equal(transfer.args.value, 123n);
  assert.equal(await token.balanceOf(to), 123n);

  const topic = token.interface.getEvent("Transfer").topicHash;
  const logs = await provider.getLogs({ address, topics: [topic, null, ethers.zeroPadValue(to, 32)], fromBlock: 0, toBlock: "latest" });
  assert.equal(logs.length, 1);
  assert.equal(logs[0].transactionHash, receipt.hash);
  assert.equal(logs[0].blockNumber, receipt.blockNumber);
});

test("decodes a custom error and a require string from eth_call", async () => {
  const { Reverter } = contracts();
  const factory = new ethers.ContractFactory(Reverter.abi, Reverter.bytecode, wallet);
  const c = await factory.deploy();
  await c.waitForDeployment();
  await assert.rejects(c.failCustom(), (e) => {
    assert.equal(e.code, "CALL_EXCEPTION");
    assert.equal(e.revert.name, "Unauthorized");
    assert.equal(e.revert.args[1], 42n);
    return true;
  });
  await assert.rejects(c.failRequire(), (e) => {
    assert.equal(e.code, "CALL_EXCEPTION");
    assert.equal(e.reason, "bytom2: require failed");
    return true;
  });
  // estimateGas of a reverting call also reports the reason.
  await assert.rejects(c.set.estimateGas(13), (e) => e.reason === "unlucky");
});

test("legacy, EIP-2930 and EIP-1559 transfers move the balance by value + gasUsed * effectiveGasPrice", async () => {
  const to = ethers.Wallet.createRandom().address;
  for (const type of [0, 1, 2]) {
    const before = await provider.getBalance(wallet.signer.address);
    const value = ethers.parseEther("1.5") + BigInt(type);
    const tx = await wallet.sendTransaction({ to, value, type });
    const receipt = await tx.wait();
    assert.equal(receipt.type, type);
    assert.equal(receipt.status, 1);
    const after = await provider.getBalance(wallet.signer.address);
    assert.equal(before - after, value + receipt.gasUsed * receipt.gasPrice, `type ${type}`);
  }
  assert.equal(await provider.getBalance(to), ethers.parseEther("4.5") + 3n);
});

test("nonce too low and insufficient funds come back as ethers error codes", async () => {
  const signer = new ethers.Wallet(DEV_KEYS[1], provider);
  const feeData = await provider.getFeeData();
  const first = await signer.sendTransaction({ to: signer.address, value: 1n, nonce: 0, gasLimit: 21000n });
  await first.wait();
  const stale = await signer.signTransaction({
    to: signer.address, value: 1n, nonce: 0, gasLimit: 21000n, chainId: CHAIN_ID,
    maxFeePerGas: feeData.maxFeePerGas, maxPriorityFeePerGas: feeData.maxPriorityFeePerGas, type: 2,
  });
  await assert.rejects(provider.broadcastTransaction(stale), (e) => e.code === "NONCE_EXPIRED");

  const poor = ethers.Wallet.createRandom().connect(provider);
  const raw = await poor.signTransaction({
    to: signer.address, value: 1n, nonce: 0, gasLimit: 21000n, chainId: CHAIN_ID,
    maxFeePerGas: feeData.maxFeePerGas, maxPriorityFeePerGas: 1n, type: 2,
  });
  await assert.rejects(provider.broadcastTransaction(raw), (e) => e.code === "INSUFFICIENT_FUNDS");
});

test("a JSON-RPC batch answers every request", async () => {
  const res = await fetch(node.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([
      { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] },
      { jsonrpc: "2.0", id: 2, method: "eth_blockNumber", params: [] },
      { jsonrpc: "2.0", id: 3, method: "no_such_method", params: [] },
    ]),
  });
  const body = await res.json();
  const byId = Object.fromEntries(body.map((r) => [r.id, r]));
  assert.equal(byId[1].result, "0x" + CHAIN_ID.toString(16));
  assert.match(byId[2].result, /^0x[0-9a-f]+$/);
  assert.equal(byId[3].error.code, -32601);
});
