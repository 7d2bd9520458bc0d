// End-to-end tests against a real multi-process BFT devnet (`bytom2 devnet`: 4 validators
// and 1 full node, each its own process): ethers 6, viem and native UTXO transactions
// through different nodes; a validator killed while transfers stream in; no quorum
// (two of four validators stopped) and resumption; a validator crashed 20 times at
// random moments; a full node whose data directory was deleted. After each, every node
// must agree on every block hash (and state root) and on balances.
//
// Run: cd tests && node --test --test-concurrency=1 js/devnet.test.mjs
// A failed test keeps its devnet's directory (logs, data; the path is printed), and
// BYTOM2_KEEP_DEVNET=1 keeps it always;
// DEVNET_SEED fixes the random crash schedule of the crash-safety test.
import { describe, test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { ethers } from "ethers";
import { createPublicClient, createWalletClient, http, defineChain, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { contracts } from "./helpers.mjs";
import * as N from "./native-tx.mjs";
import {
  startDevnet, assertSameChain, compareBalances, compareBlocks, devKey, call, batch, blockNumber, sleep, tail,
} from "./devnet-helpers.mjs";

const ONE = 10n ** 18n;
// Accounts 0..3 are the validators' fee recipients (their balances move every block):
// the tests send from accounts 4..9 only.
const KEY = { ethers: devKey(4), viem: devKey(5), native: devKey(6), stream: devKey(7), halt: devKey(8), crash: devKey(9) };
const addr = (k) => new ethers.Wallet(k).address;

async function providerFor(url) {
  const chainId = Number(BigInt(await call(url, "eth_chainId")));
  const provider = new ethers.JsonRpcProvider(url, chainId, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
  return { provider, chainId };
}

/** Pre-signed EIP-1559 transfers from `key` (nonces from `pending`), broadcast through ethers. */
async function transferStream(provider, chainId, key, to) {
  const wallet = new ethers.Wallet(key, provider);
  let nonce = await provider.getTransactionCount(wallet.address, "pending");
  const fee = await provider.getFeeData();
  const sent = [];
  const errors = [];
  let stopRequested = false;
  const loop = (async () => {
    while (!stopRequested) {
      const value = BigInt(sent.length + 1);
      const raw = await wallet.signTransaction({
        type: 2, chainId, nonce, to, value, gasLimit: 21000n,
        maxFeePerGas: fee.maxFeePerGas * 3n, maxPriorityFeePerGas: fee.maxPriorityFeePerGas,
      });
      try {
        const tx = await provider.broadcastTransaction(raw);
        sent.push({ hash: tx.hash, nonce, value, at: Date.now() });
        nonce++;
      } catch (e) {
        errors.push(`nonce ${nonce}: ${e.shortMessage ?? e.message}`);
        if (errors.length > 20) break;
      }
      await sleep(200);
    }
  })();
  return {
    sent,
    errors,
    async stop() {
      stopRequested = true;
      await loop;
    },
  };
}

/** Polls eth_getTransactionReceipt on `url` for every hash; returns the receipts. */
async function receiptsOf(url, hashes, timeoutMs) {
  const end = Date.now() + timeoutMs;
  const out = new Map();
  while (out.size < hashes.length) {
    const missing = hashes.filter((h) => !out.has(h));
    const got = await batch(url, missing.map((h) => ["eth_getTransactionReceipt", [h]]));
    got.forEach((r, i) => r && out.set(missing[i], r));
    if (out.size === hashes.length) break;
    if (Date.now() > end) {
      const missing = hashes.filter((h) => !out.has(h));
      throw new Error(`${missing.length} of ${hashes.length} transactions not mined in ${timeoutMs} ms, first ${missing[0]}`);
    }
    await sleep(200);
  }
  return hashes.map((h) => out.get(h));
}

/** Mulberry32: a small seeded PRNG so a failing crash schedule can be replayed. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("devnet: clients and a validator crash", () => {
  let devnet;
  let failed = false;
  before(async () => {
    devnet = await startDevnet({ validators: 4, fullNodes: 1, blockTime: 0.5 });
  });
  afterEach((t) => {
    if (!t.passed) failed = true;
  });
  after(async () => {
    // A failure keeps the directory (logs, data) and prints its path.
    await devnet?.stop({ keep: failed || !!process.env.BYTOM2_KEEP_DEVNET });
  });

  test("ethers and viem through the full node, a native transaction through a validator; all nodes agree", { timeout: 90_000 }, async (t) => {
    const full = devnet.fullNodes[0];
    const validator = devnet.node("validator-2");
    const { provider, chainId } = await providerFor(full.rpcUrl);
    try {
      const { TestToken } = contracts();

      // ethers 6: deploy the ERC-20 and transfer, through the full node.
      const signer = new ethers.NonceManager(new ethers.Wallet(KEY.ethers, provider));
      const factory = new ethers.ContractFactory(TestToken.abi, TestToken.bytecode, signer);
      const token = await factory.deploy(ethers.parseEther("1000"));
      await token.waitForDeployment();
      const tokenA = await token.getAddress();
      const toA = ethers.Wallet.createRandom().address;
      const rA = await (await token.transfer(toA, 123n)).wait();
      assert.equal(rA.status, 1);
      assert.equal(await token.balanceOf(toA), 123n);
      t.diagnostic(`ethers: token ${tokenA}, transfer in block ${rA.blockNumber}`);

      // viem: deploy and transfer through the full node; the finalized tag is a real block.
      const chain = defineChain({
        id: chainId, name: "bytom2 devnet", nativeCurrency: { name: "BTM", symbol: "BTM", decimals: 18 },
        rpcUrls: { default: { http: [full.rpcUrl] } },
      });
      const pub = createPublicClient({ chain, transport: http(full.rpcUrl), pollingInterval: 100 });
      const account = privateKeyToAccount(KEY.viem);
      const wallet = createWalletClient({ chain, account, transport: http(full.rpcUrl) });
      const deployHash = await wallet.deployContract({ abi: TestToken.abi, bytecode: TestToken.bytecode, args: [parseEther("500")] });
      const deployed = await pub.waitForTransactionReceipt({ hash: deployHash, pollingInterval: 100, timeout: 30_000 });
      assert.equal(deployed.status, "success");
      const tokenB = deployed.contractAddress;
      const toB = ethers.Wallet.createRandom().address;
      const xferHash = await wallet.writeContract({ address: tokenB, abi: TestToken.abi, functionName: "transfer", args: [toB, 456n] });
      const rB = await pub.waitForTransactionReceipt({ hash: xferHash, pollingInterval: 100, timeout: 30_000 });
      assert.equal(rB.status, "success");
      assert.equal(await pub.readContract({ address: tokenB, abi: TestToken.abi, functionName: "balanceOf", args: [toB] }), 456n);
      const finalized = await pub.getBlock({ blockTag: "finalized" });
      assert.ok(finalized && finalized.hash && typeof finalized.number === "bigint", "finalized is a block");
      assert.ok(finalized.number >= rB.blockNumber, `finalized ${finalized.number} >= receipt block ${rB.blockNumber}`);
      const same = await pub.getBlock({ blockNumber: finalized.number });
      assert.equal(same.hash, finalized.hash, "the finalized tag names the block of that number");
      const inBlock = await pub.getBlock({ blockNumber: rB.blockNumber });
      assert.ok(inBlock.transactions.includes(xferHash), "the transfer is in its receipt's block");
      t.diagnostic(`viem: token ${tokenB}, transfer in block ${rB.blockNumber}, finalized ${finalized.number}`);

      // A native UTXO transfer sent to a validator's RPC.
      const toN = ethers.Wallet.createRandom().address;
      const amount = (ONE * 3n) / 2n;
      const built = await N.buildTransfer(validator.rpcUrl, { key: KEY.native, to: toN, amount });
      const hash = await call(validator.rpcUrl, "eth_sendRawTransaction", [built.raw]);
      assert.equal(hash, built.hash);
      const rN = await N.waitReceipt(validator.rpcUrl, hash, 30_000);
      assert.equal(rN.status, "0x1");
      assert.equal(rN.type, "0x62");
      const nBlock = Number(BigInt(rN.blockNumber));
      t.diagnostic(`native: ${hash} in block ${nBlock} (fee ${built.fee})`);

      // Every node applies the last of those blocks, then all agree on blocks and balances.
      const last = Math.max(rA.blockNumber, Number(rB.blockNumber), nBlock);
      await devnet.waitAll(last + 1, 30_000);
      const receiptOnFull = await call(full.rpcUrl, "eth_getTransactionReceipt", [hash]);
      assert.equal(receiptOnFull?.blockHash, rN.blockHash, "the full node has the native transaction in the same block");
      // On every node `latest`, `safe` and `finalized` are the same (newest final) block.
      for (const n of devnet.nodes) {
        let tags;
        for (let i = 0; i < 10; i++) {
          const blocks = await batch(n.rpcUrl, ["latest", "safe", "finalized"].map((tag) => ["eth_getBlockByNumber", [tag, false]]));
          tags = blocks.map((b) => `${Number(BigInt(b.number))} ${b.hash}`);
          if (new Set(tags).size === 1) break;
        }
        assert.equal(new Set(tags).size, 1, `${n.name}: latest, safe, finalized = ${JSON.stringify(tags)}`);
      }
      const chainCheck = await assertSameChain(devnet);
      t.diagnostic(`all ${devnet.nodes.length} nodes agree on blocks 1..${chainCheck.height}`);
      const who = [addr(KEY.ethers), toA, addr(KEY.viem), toB, addr(KEY.native), toN];
      const bal = await compareBalances(devnet, who, { tokens: [tokenA, tokenB] });
      assert.deepEqual(bal.mismatches, [], `balances differ at block ${bal.at}`);
      const b = bal.byNode[full.name];
      assert.equal(b[`${tokenA}:${toA}`], 123n);
      assert.equal(b[`${tokenB}:${toB}`], 456n);
      assert.equal(b[`${tokenA}:${addr(KEY.ethers)}`], ethers.parseEther("1000") - 123n);
      assert.equal(b[`BTM:${toN}`], amount);
    } finally {
      provider.destroy();
    }
  });

  test("a SIGKILLed validator: the chain keeps finalizing and mining transfers; restarted, it catches up and agrees", { timeout: 120_000 }, async (t) => {
    const full = devnet.fullNodes[0];
    const victim = "validator-1";
    const { provider, chainId } = await providerFor(full.rpcUrl);
    const to = ethers.Wallet.createRandom().address;
    const stream = await transferStream(provider, chainId, KEY.stream, to);
    try {
      await sleep(2000);
      const before = await blockNumber(full.rpcUrl);
      const killedAt = Date.now();
      await devnet.kill(victim, "SIGKILL");
      const downAt = await blockNumber(full.rpcUrl);
      await devnet.waitForHeight(full.name, downAt + 10, 45_000, `with ${victim} down`);
      const advanced = (await blockNumber(full.rpcUrl)) - downAt;
      t.diagnostic(`${victim} killed at full-node height ${downAt} (stream started at ${before}); +${advanced} blocks in ${Date.now() - killedAt} ms while it was down`);
      await sleep(1000);
      const upAt = await blockNumber(full.rpcUrl);
      const restartedAt = Date.now();
      await devnet.restart(victim);
      // What a client sees on the restarted node before it has caught up.
      const lag = [await blockNumber(devnet.url(victim)), await blockNumber(full.rpcUrl), await call(devnet.url(victim), "eth_syncing")];
      t.diagnostic(`just restarted: ${victim} head ${lag[0]}, full node head ${lag[1]}, ${victim} eth_syncing ${JSON.stringify(lag[2])}`);
      await stream.stop();
      assert.deepEqual(stream.errors, [], "every transfer was accepted by the full node");
      assert.ok(stream.sent.length >= 10, `sent ${stream.sent.length} transfers`);

      // Every transfer is mined, in nonce order, and the recipient has their sum.
      const receipts = await receiptsOf(full.rpcUrl, stream.sent.map((s) => s.hash), 45_000);
      for (const r of receipts) assert.equal(r.status, "0x1");
      const total = stream.sent.reduce((a, s) => a + s.value, 0n);
      assert.equal(await provider.getBalance(to), total);
      const blocks = receipts.map((r) => Number(BigInt(r.blockNumber)));
      const lastBlock = Math.max(...blocks);
      const whileDown = blocks.filter((b) => b > downAt && b <= upAt).length;
      t.diagnostic(`${stream.sent.length} transfers mined (${whileDown} in blocks ${downAt + 1}..${upAt}, while ${victim} was down), the last in block ${lastBlock}`);
      assert.ok(whileDown >= 5, `transfers mined while ${victim} was down: ${whileDown}`);

      // The restarted validator catches up with the others' head and agrees on everything.
      const target = await blockNumber(full.rpcUrl);
      await devnet.waitForHeight(victim, target, 45_000, `${victim} catching up after restart`);
      t.diagnostic(`${victim} caught up to ${target} ${Date.now() - restartedAt} ms after its restart`);
      await devnet.waitAll(Math.max(target, lastBlock) + 1, 20_000);
      const same = await assertSameChain(devnet);
      t.diagnostic(`all nodes agree on blocks 1..${same.height}`);
      const bal = await compareBalances(devnet, [addr(KEY.stream), to]);
      assert.deepEqual(bal.mismatches, [], `balances differ at block ${bal.at}`);
    } finally {
      await stream.stop();
      provider.destroy();
    }
  });
});

describe("devnet: no quorum, then crash safety", () => {
  let devnet;
  let failed = false;
  before(async () => {
    devnet = await startDevnet({ validators: 4, fullNodes: 1, blockTime: 0.5, minHeight: 5 });
  });
  afterEach((t) => {
    if (!t.passed) failed = true;
  });
  after(async () => {
    await devnet?.stop({ keep: failed || !!process.env.BYTOM2_KEEP_DEVNET });
  });

  test("two of four validators stopped: finalization halts without divergence; one restarted: it resumes", { timeout: 120_000 }, async (t) => {
    const full = devnet.fullNodes[0];
    const stoppedNames = ["validator-2", "validator-3"];
    const live = devnet.nodes.map((n) => n.name).filter((n) => !stoppedNames.includes(n));
    const termAt = Date.now();
    await Promise.all(stoppedNames.map((n) => devnet.kill(n, "SIGTERM")));
    t.diagnostic(`${stoppedNames.join(" and ")} exited ${Date.now() - termAt} ms after SIGTERM`);
    // Blocks certified before the stop may still land: let them, then watch the head.
    await sleep(2000);
    const h1 = await blockNumber(full.rpcUrl);
    const samples = [];
    const watchStart = Date.now();
    while (Date.now() - watchStart < 6000) {
      samples.push(await devnet.liveHeads(live));
      await sleep(250);
    }
    const maxSeen = Math.max(...samples.flatMap((s) => Object.values(s)));
    t.diagnostic(`halted at ${h1}; highest head seen in 6 s: ${maxSeen}`);
    assert.equal(samples.at(-1)[full.name], h1, `full node's head moved from ${h1} without a quorum: ${JSON.stringify(samples.at(-1))}`);
    assert.ok(samples.every((s) => s[full.name] === h1), `full node's head moved during the halt: ${JSON.stringify(samples.map((s) => s[full.name]))}`);
    assert.ok(maxSeen <= h1 + 1, `no node may finalize during the halt: ${JSON.stringify(samples.at(-1))}`);
    const during = await compareBlocks(devnet, { names: live, upTo: Math.min(...Object.values(samples.at(-1))) });
    assert.deepEqual(during.mismatches, [], "live nodes agree during the halt");

    // A transaction sent during the halt waits in the pool, and is mined after the resume.
    const { provider, chainId } = await providerFor(full.rpcUrl);
    try {
      const wallet = new ethers.Wallet(KEY.halt, provider);
      const to = ethers.Wallet.createRandom().address;
      const fee = await provider.getFeeData();
      const raw = await wallet.signTransaction({
        type: 2, chainId, nonce: await provider.getTransactionCount(wallet.address), to, value: 777n, gasLimit: 21000n,
        maxFeePerGas: fee.maxFeePerGas * 3n, maxPriorityFeePerGas: fee.maxPriorityFeePerGas,
      });
      const pending = await provider.broadcastTransaction(raw);

      const resumedAt = Date.now();
      await devnet.restart("validator-2");
      await devnet.waitForHeight(full.name, h1 + 5, 60_000, "resuming with 3 of 4 validators");
      t.diagnostic(`resumed: +5 blocks ${Date.now() - resumedAt} ms after restarting validator-2`);
      const [r] = await receiptsOf(full.rpcUrl, [pending.hash], 30_000);
      assert.equal(r.status, "0x1");
      assert.ok(Number(BigInt(r.blockNumber)) > h1, "the halted transaction is mined after the resume");
      assert.equal(await provider.getBalance(to), 777n);
    } finally {
      provider.destroy();
    }

    // Bring the fourth back for the next test; all five agree.
    await devnet.restart("validator-3");
    const target = await blockNumber(full.rpcUrl);
    await devnet.waitAll(target, 60_000, undefined, "all nodes after restarting validator-3");
    const same = await assertSameChain(devnet);
    t.diagnostic(`all nodes agree on blocks 1..${same.height}`);
  });

  test("crash safety: a validator SIGKILLed 20 times at random moments ends with the same state root and blocks", { timeout: 180_000 }, async (t) => {
    const full = devnet.fullNodes[0];
    const victim = "validator-0";
    const seed = Number(process.env.DEVNET_SEED ?? Date.now() % 2 ** 31);
    const rand = prng(seed);
    t.diagnostic(`seed ${seed} (DEVNET_SEED=${seed} replays the schedule of run times, not the node's timing)`);
    const { provider, chainId } = await providerFor(full.rpcUrl);
    // Transactions keep coming, so the blocks the victim replays change state.
    const stream = await transferStream(provider, chainId, KEY.crash, ethers.Wallet.createRandom().address);
    const started = Date.now();
    const start = await blockNumber(full.rpcUrl);
    const diedOnItsOwn = [];
    try {
      await devnet.kill(victim, "SIGKILL");
      for (let i = 0; i < 20; i++) {
        const pid = await devnet.restart(victim, { wait: false });
        const runFor = 500 + Math.floor(rand() * 2500);
        await sleep(runFor);
        if (!devnet.isUp(pid)) {
          diedOnItsOwn.push({ i, pid, runFor, exit: devnet.exitStatus(pid), log: tail(devnet.node(victim).log, 8) });
          // Three exits in a row: it no longer starts at all.
          if (diedOnItsOwn.length >= 3 && diedOnItsOwn.at(-3).i === i - 2) break;
          continue;
        }
        await devnet.kill(victim, "SIGKILL");
      }
      assert.deepEqual(diedOnItsOwn, [], `the victim exited by itself before being killed`);
      const head = await blockNumber(full.rpcUrl);
      t.diagnostic(`20 kills in ${Date.now() - started} ms; the chain went from ${start} to ${head} meanwhile`);
      assert.ok(head > start + 10, "the chain kept finalizing with 3 of 4 validators");

      const restartedAt = Date.now();
      await devnet.restart(victim);
      const target = await blockNumber(full.rpcUrl);
      await devnet.waitForHeight(victim, target, 60_000, `${victim} catching up after the last crash`);
      t.diagnostic(`caught up to ${target} in ${Date.now() - restartedAt} ms`);
      await stream.stop();
      assert.deepEqual(stream.errors, []);
      await receiptsOf(full.rpcUrl, stream.sent.map((s) => s.hash), 60_000);

      // Its head block's state root equals the others' at that height.
      const vHead = await blockNumber(devnet.url(victim));
      await devnet.waitAll(vHead, 30_000);
      const roots = {};
      for (const n of devnet.nodes) {
        const b = await call(n.rpcUrl, "eth_getBlockByNumber", [ethers.toQuantity(vHead), false]);
        roots[n.name] = `${b.hash} ${b.stateRoot}`;
      }
      assert.equal(new Set(Object.values(roots)).size, 1, `state roots at ${vHead}: ${JSON.stringify(roots, null, 1)}`);
      const same = await assertSameChain(devnet);
      t.diagnostic(`${stream.sent.length} transfers mined; all nodes agree on blocks 1..${same.height}; total ${Date.now() - started} ms`);
      const bal = await compareBalances(devnet, [addr(KEY.crash)]);
      assert.deepEqual(bal.mismatches, []);
    } finally {
      await stream.stop();
      provider.destroy();
    }
  });

  test("a full node whose data directory was deleted re-syncs from genesis and agrees on every block", { timeout: 120_000 }, async (t) => {
    const full = devnet.fullNodes[0];
    const args = devnet.node(full.name).args;
    const data = args[args.indexOf("--datadir") + 1];
    const validator = devnet.nodes.find((n) => n.name.startsWith("validator-")).name;
    await devnet.kill(full.name, "SIGTERM");
    fs.rmSync(data, { recursive: true, force: true });
    assert.ok(!fs.existsSync(data), `${data} deleted`);
    const target = await blockNumber(devnet.url(validator));
    const restartedAt = Date.now();
    await devnet.restart(full.name);
    const first = await blockNumber(full.rpcUrl);
    await devnet.waitForHeight(full.name, target, 60_000, `${full.name} re-syncing from genesis`);
    t.diagnostic(`${full.name} restarted empty at height ${first}, reached ${target} in ${Date.now() - restartedAt} ms`);
    // Re-synced blocks carry their certificates, as followed ones do.
    const fin = await call(full.rpcUrl, "dpos_getFinalization", [ethers.toQuantity(Math.max(1, target - 1))]);
    assert.ok(fin && fin.signers.length >= 3, `finalization of ${target - 1}: ${JSON.stringify(fin)}`);
    const same = await assertSameChain(devnet);
    t.diagnostic(`all nodes agree on blocks 1..${same.height}`);
    const bal = await compareBalances(devnet, [addr(KEY.crash), addr(KEY.halt)]);
    assert.deepEqual(bal.mismatches, []);
  });
});
