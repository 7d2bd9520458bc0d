// MetaMask's exact call sequence for adding a custom network and sending BTM
// (RPC-COMPAT.md tier 1), scripted with raw JSON-RPC; the transaction is signed the way
// MetaMask does on an EIP-1559 chain without a gas API: maxFee = maxPriorityFee = gasPrice.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ethers } from "ethers";
import { startNode, rpc, DEV_KEYS, CHAIN_ID } from "./helpers.mjs";

let node;
before(async () => { node = await startNode(); });
after(async () => { await node.stop(); });

async function call(method, params) {
  const res = await rpc(node.url, method, params);
  assert.ok(!res.error, `${method}: ${JSON.stringify(res.error)}`);
  return res.result;
}

test("add network, poll blocks, estimate, send, poll receipt", async () => {
  // Adding the network: the chain id must answer and never change.
  assert.equal(await call("eth_chainId", []), "0x" + CHAIN_ID.toString(16));
  assert.equal(await call("net_version", []), String(CHAIN_ID));

  // Block tracker: eth_blockNumber, then explicit numbers everywhere.
  const tip = await call("eth_blockNumber", []);
  const block = await call("eth_getBlockByNumber", [tip, false]);
  assert.ok(block.baseFeePerGas, "EIP-1559 detection needs baseFeePerGas");
  assert.ok(block.gasLimit && block.number === tip);

  const wallet = new ethers.Wallet(DEV_KEYS[0]);
  const from = wallet.address;
  const balance = BigInt(await call("eth_getBalance", [from, tip]));
  assert.ok(balance > 0n);

  // Fees: no gas API on custom chains, so eth_gasPrice; MetaMask sets both caps to it.
  const gasPrice = BigInt(await call("eth_gasPrice", []));
  assert.ok(gasPrice >= BigInt(block.baseFeePerGas));
  const to = "0x00000000000000000000000000000000000ca11e";
  const value = 10n ** 17n;
  const gas = BigInt(await call("eth_estimateGas", [{ from, to, value: "0x" + value.toString(16) }]));
  assert.equal(gas, 21000n);
  const nonce = Number(await call("eth_getTransactionCount", [from, tip]));

  const raw = await wallet.signTransaction({
    type: 2, chainId: CHAIN_ID, nonce, to, value, gasLimit: gas,
    maxFeePerGas: gasPrice, maxPriorityFeePerGas: gasPrice,
  });
  const hash = await call("eth_sendRawTransaction", [raw]);
  assert.equal(hash, ethers.keccak256(raw));

  let receipt = null;
  for (let i = 0; i < 100 && !receipt; i++) {
    receipt = await call("eth_getTransactionReceipt", [hash]);
    if (!receipt) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(receipt, "receipt");
  assert.equal(receipt.status, "0x1");
  assert.equal(receipt.type, "0x2");
  assert.ok(receipt.effectiveGasPrice);
  const mined = await call("eth_getBlockByHash", [receipt.blockHash, false]);
  assert.ok(mined.transactions.includes(hash));
  const tx = await call("eth_getTransactionByHash", [hash]);
  assert.equal(tx.blockHash, receipt.blockHash);

  // The tracker moves on; the new balance at the new block number is exact.
  const next = await call("eth_blockNumber", []);
  const after = BigInt(await call("eth_getBalance", [from, next]));
  const paid = BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice);
  assert.equal(balance - after, value + paid);
  assert.equal(BigInt(await call("eth_getBalance", [to, next])), value);
  assert.equal(Number(await call("eth_getTransactionCount", [from, next])), nonce + 1);
  // The old block still answers the old balance (archive reads at explicit numbers).
  assert.equal(BigInt(await call("eth_getBalance", [from, tip])), balance);
});
