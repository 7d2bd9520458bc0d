// viem v2 against a bytom2 dev node: reads, a transfer, a contract revert, a newHeads
// subscription over WebSocket.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  createPublicClient, createWalletClient, http, webSocket, parseEther, defineChain,
  ContractFunctionRevertedError, BaseError,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { startNode, contracts, DEV_KEYS, CHAIN_ID } from "./helpers.mjs";

let node;
let chain;

before(async () => {
  node = await startNode();
  chain = defineChain({
    id: CHAIN_ID,
    name: "bytom2 dev",
    nativeCurrency: { name: "BTM", symbol: "BTM", decimals: 18 },
    rpcUrls: { default: { http: [node.url], webSocket: [node.ws] } },
  });
});

after(async () => {
  await node.stop();
});

test("reads, sends, and sees the receipt", async () => {
  const client = createPublicClient({ chain, transport: http(node.url) });
  assert.equal(await client.getChainId(), CHAIN_ID);
  const account = privateKeyToAccount(DEV_KEYS[2]);
  const wallet = createWalletClient({ chain, account, transport: http(node.url) });
  const to = "0x000000000000000000000000000000000000bEEF";
  const hash = await wallet.sendTransaction({ to, value: parseEther("2") });
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 100 });
  assert.equal(receipt.status, "success");
  assert.equal(await client.getBalance({ address: to }), parseEther("2"));
  const block = await client.getBlock({ blockNumber: receipt.blockNumber, includeTransactions: true });
  assert.equal(block.transactions[0].hash, hash);
  assert.ok(block.baseFeePerGas > 0n);
  const fees = await client.estimateFeesPerGas();
  assert.ok(fees.maxFeePerGas >= block.baseFeePerGas);
});

test("a reverting read decodes to ContractFunctionRevertedError", async () => {
  const { Reverter } = contracts();
  const client = createPublicClient({ chain, transport: http(node.url) });
  const account = privateKeyToAccount(DEV_KEYS[2]);
  const wallet = createWalletClient({ chain, account, transport: http(node.url) });
  const hash = await wallet.deployContract({ abi: Reverter.abi, bytecode: Reverter.bytecode });
  const { contractAddress } = await client.waitForTransactionReceipt({ hash, pollingInterval: 100 });
  try {
    await client.readContract({ address: contractAddress, abi: Reverter.abi, functionName: "failCustom" });
    assert.fail("should revert");
  } catch (err) {
    assert.ok(err instanceof BaseError);
    const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
    assert.ok(revert, String(err));
    assert.equal(revert.data.errorName, "Unauthorized");
  }
});

test("a newHeads subscription over WebSocket delivers the next block", async () => {
  const client = createPublicClient({ chain, transport: webSocket(node.ws) });
  const account = privateKeyToAccount(DEV_KEYS[3]);
  const wallet = createWalletClient({ chain, account, transport: http(node.url) });
  const start = await client.getBlockNumber();
  const got = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no block")), 15000);
    const unwatch = client.watchBlocks({
      poll: false,
      onBlock: (block) => {
        if (block.number > start) {
          clearTimeout(timer);
          unwatch();
          resolve(block);
        }
      },
      onError: reject,
    });
  });
  await new Promise((r) => setTimeout(r, 200));
  await wallet.sendTransaction({ to: account.address, value: 1n });
  const block = await got;
  assert.ok(block.number > start);
  assert.ok(block.hash);
  await client.transport.getRpcClient().then((c) => c.close());
});
