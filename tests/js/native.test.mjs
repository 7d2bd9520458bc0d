// Native UTXO transactions (type 0x62) and native assets against a bytom2 dev node, from
// docs/native-transactions.md: BTM transfers through eth_sendRawTransaction and
// utxo_sendRawTransaction, a block with a native and an Ethereum transaction read by
// ethers and viem, the documented error messages, assets created by a native transaction
// and by the IAssetIssuer precompile and used as ERC-20s (ethers, MetaMask's token
// calls), and after every block the ledger invariant: utxo_listUnspent sums equal
// eth_getBalance / balanceOf, utxo_supply equals totalSupply().
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ethers } from "ethers";
import { createPublicClient, http, defineChain } from "viem";
import { execFileSync } from "node:child_process";
import { startNode, contracts, binary, DEV_KEYS, CHAIN_ID } from "./helpers.mjs";
import * as N from "./native-tx.mjs";

const ONE = 10n ** 18n;
const MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11";

let node;
let url;
let provider;
/** Every address the tests touch: the ledger invariant is checked for all of them. */
const touched = new Set();
const dev = DEV_KEYS.map((k) => new ethers.Wallet(k));
for (const w of dev) touched.add(w.address);

function touch(...addrs) {
  for (const a of addrs) touched.add(ethers.getAddress(a));
}

function fresh() {
  const w = ethers.Wallet.createRandom();
  touch(w.address);
  return w;
}

const ledger = (label) => N.checkLedger(url, touched, label);

/** Sends a raw transaction through `method` and waits for its receipt; checks the ledger after the block. */
async function send(raw, method = "eth_sendRawTransaction", label = method) {
  const hash = await N.call(url, method, [raw]);
  assert.equal(hash, ethers.keccak256(raw), "the returned hash is keccak256(envelope)");
  const receipt = await N.waitReceipt(url, hash);
  await ledger(label);
  return receipt;
}

/** Sends an ethers transaction (a contract call or a transfer), waits, checks the ledger. */
async function mined(txPromise, label) {
  const tx = await txPromise;
  const receipt = await tx.wait();
  assert.equal(receipt.status, 1, `${label}: status`);
  await ledger(label);
  return receipt;
}

/** Asserts that `raw` is refused with exactly `message` (a string, or a RegExp). */
function refused(raw, message, method = "eth_sendRawTransaction") {
  return refusedAt(url, raw, message, method);
}

async function refusedAt(nodeUrl, raw, message, method = "eth_sendRawTransaction") {
  await assert.rejects(N.call(nodeUrl, method, [raw]), (e) => {
    if (message instanceof RegExp) assert.match(e.message, message);
    else assert.equal(e.message.toLowerCase(), message.toLowerCase());
    return true;
  });
}

const hexq = (v) => BigInt(v);
const lc = (a) => a.toLowerCase();

/** Native transactions checked by checkUtxoTx: { hash, receipt, outputs }. */
const minedNative = [];

/** Checks utxo_getTransaction against what was built and the receipt. */
async function checkUtxoTx(built, receipt, { issuance = null } = {}) {
  const t = await N.call(url, "utxo_getTransaction", [built.hash]);
  assert.ok(t, "utxo_getTransaction finds the transaction");
  assert.equal(t.hash, built.hash);
  assert.equal(t.type, "0x62");
  assert.equal(hexq(t.chainId), BigInt(CHAIN_ID));
  assert.equal(hexq(t.fee), built.fee);
  assert.equal(hexq(t.gasUsed), built.gas);
  assert.equal(t.blockNumber, receipt.blockNumber);
  assert.equal(t.blockHash, receipt.blockHash);
  assert.equal(t.transactionIndex, receipt.transactionIndex);
  assert.deepEqual(t.signers.map(lc), built.signers.map(lc));
  assert.equal(t.inputs.length, built.spent.length);
  t.inputs.forEach((c, i) => {
    const s = built.spent[i];
    assert.equal(c.tx, s.tx);
    assert.equal(Number(hexq(c.index)), s.index);
    assert.equal(hexq(c.amount), s.amount);
    assert.equal(lc(c.owner), lc(s.owner));
    assert.equal(lc(c.asset), lc(s.asset));
    assert.equal(c.blockNumber, s.blockNumber, "a spent coin keeps its creation block");
  });
  assert.equal(t.outputs.length, built.tx.outputs.length);
  t.outputs.forEach((c, i) => {
    const o = built.tx.outputs[i];
    assert.equal(c.tx, built.hash, "outputs are outpoints (hash, i)");
    assert.equal(Number(hexq(c.index)), i);
    assert.equal(lc(c.asset), lc(o.asset));
    assert.equal(hexq(c.amount), o.amount);
    assert.equal(lc(c.owner), lc(o.owner));
  });
  if (issuance) {
    assert.ok(t.issuance, "issuance is reported");
    assert.equal(lc(t.issuance.assetId), lc(issuance.asset));
    assert.equal(hexq(t.issuance.amount), BigInt(issuance.amount));
  } else {
    assert.equal(t.issuance, null);
  }
  minedNative.push({ hash: built.hash, receipt, outputs: built.tx.outputs.length });
  return t;
}

/** The Ethereum shape of a native transaction (eth_getTransactionByHash, blocks with `true`). */
function checkEthShape(tx, built) {
  const from = built.signers[0];
  const firstOther = built.tx.outputs.find((o) => lc(o.owner) !== lc(from));
  const to = firstOther ? firstOther.owner : from;
  const value = built.tx.outputs
    .filter((o) => o.asset === N.BTM && lc(o.owner) !== lc(from))
    .reduce((a, o) => a + o.amount, 0n);
  const sig = ethers.Signature.from(built.signatures[0]);
  assert.equal(tx.hash, built.hash);
  assert.equal(tx.type, "0x62");
  assert.equal(lc(tx.from), lc(from));
  assert.equal(lc(tx.to), lc(to));
  assert.equal(hexq(tx.value), value);
  assert.equal(hexq(tx.nonce), 0n);
  assert.equal(hexq(tx.gas), built.gas);
  assert.equal(hexq(tx.gasPrice), built.fee / built.gas);
  assert.equal(tx.input, "0x");
  assert.equal(hexq(tx.r), BigInt(sig.r));
  assert.equal(hexq(tx.s), BigInt(sig.s));
  assert.equal(hexq(tx.yParity), BigInt(sig.yParity));
  assert.equal(hexq(tx.v), BigInt(sig.yParity));
  assert.equal(tx.inputs.length, built.tx.inputs.length);
  assert.equal(tx.outputs.length, built.tx.outputs.length);
  assert.ok("issuance" in tx);
}

function checkReceipt(receipt, built) {
  assert.equal(receipt.status, "0x1");
  assert.equal(receipt.type, "0x62");
  assert.equal(receipt.transactionHash, built.hash);
  assert.equal(hexq(receipt.gasUsed), built.gas);
  assert.equal(hexq(receipt.effectiveGasPrice), built.fee / built.gas);
  assert.deepEqual(receipt.logs, []);
  assert.equal(receipt.contractAddress, null);
  assert.equal(lc(receipt.from), lc(built.signers[0]));
}

const balance = async (a) => hexq(await N.call(url, "eth_getBalance", [a, "latest"]));

let abi;
before(async () => {
  node = await startNode();
  url = node.url;
  provider = new ethers.JsonRpcProvider(url, CHAIN_ID, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
  const c = contracts();
  abi = { token: c.NativeAsset.abi, issuer: c.IAssetIssuer.abi };
});

after(async () => {
  provider?.destroy();
  await node?.stop();
});

test("the JS encoder agrees with the node's decoder (bytom2 wallet decode)", () => {
  const def = { name: "Gold ✓", symbol: "GLD", decimals: 8, issuer: "0x" + "02".repeat(20), data: "0x010203" };
  const id = N.assetIdOf(def);
  const tx = {
    chainId: BigInt(CHAIN_ID),
    inputs: [{ tx: "0x" + "01".repeat(32), index: 3 }, { tx: "0x" + "05".repeat(32), index: 0 }, { tx: "0x" + "06".repeat(32), index: 256 }],
    outputs: [
      { asset: N.BTM, amount: 5n, owner: "0x" + "09".repeat(20) },
      { asset: id, amount: 2n ** 256n - 1n, owner: "0x" + "08".repeat(20) },
      { asset: id, amount: 0n, owner: "0x" + "07".repeat(20) },
    ],
    issuance: { asset: id, amount: 1000n, definition: def },
  };
  for (const [t, keys] of [[tx, [DEV_KEYS[0], DEV_KEYS[1]]], [{ ...tx, issuance: { asset: id, amount: 7n } }, [DEV_KEYS[2]]], [{ ...tx, issuance: null }, []]]) {
    const signed = N.signNative(t, keys);
    assert.equal(signed.size, N.envelopeSize(t, keys.length), "67 bytes per signature");
    const d = JSON.parse(execFileSync(binary(), ["wallet", "decode", signed.raw], { encoding: "utf8" }));
    assert.equal(d.type, "0x62");
    assert.equal(d.hash, signed.hash);
    assert.equal(d.sighash, signed.sighash);
    assert.equal(d.size, signed.size);
    assert.equal(BigInt(d.chainId), BigInt(CHAIN_ID));
    assert.deepEqual(d.signatures, signed.signatures);
    assert.deepEqual(d.signers.map(lc), keys.map((k) => lc(new ethers.Wallet(k).address)));
    assert.deepEqual(d.inputs.map((i) => [i.tx, Number(i.index)]), t.inputs.map((i) => [i.tx, i.index]));
    assert.deepEqual(d.outputs.map((o) => [o.asset, BigInt(o.amount), lc(o.owner)]), t.outputs.map((o) => [o.asset, o.amount, lc(o.owner)]));
    if (t.issuance) {
      assert.equal(d.issuance.assetId, id);
      assert.equal(BigInt(d.issuance.amount), t.issuance.amount);
      assert.equal(lc(d.issuance.token), lc(N.tokenAddressOf(id)));
      if (t.issuance.definition) assert.deepEqual({ ...d.issuance.definition, decimals: Number(d.issuance.definition.decimals) }, def);
    } else {
      assert.equal(d.issuance ?? null, null);
    }
    // And the JS decoder reads back what it wrote.
    const back = N.decodeNative(signed.raw);
    assert.deepEqual(back.inputs, t.inputs);
    assert.deepEqual(back.signatures, signed.signatures);
  }
});

test("utxo_feeSchedule and the genesis coins", async () => {
  const s = await N.feeSchedule(url);
  for (const k of ["baseFeePerGas", "base", "perInput", "perOutput", "perByte", "issuance", "minOutputAmount"]) {
    assert.equal(typeof s[k], "bigint", k);
  }
  assert.deepEqual(
    [s.base, s.perInput, s.perOutput, s.perByte, s.issuance],
    [9000n, 4000n, 4000n, 16n, 25000n],
    "the dev chain uses the default native gas schedule",
  );
  assert.ok(s.baseFeePerGas > 0n);
  assert.equal(s.minOutputAmount, 1n, "the dev chain's dust limit is 1 wei");
  const coins = await N.listUnspent(url, dev[0].address, N.BTM);
  assert.ok(coins.length >= 1);
  assert.equal(N.sumCoins(coins), await balance(dev[0].address));
  const assets = await N.call(url, "utxo_listAssets");
  assert.equal(assets[0].assetId, N.BTM);
  assert.equal(assets[0].symbol, "BTM");
  assert.equal(assets[0].token, null);
  assert.equal(Number(hexq(assets[0].decimals)), 18);
  await ledger("genesis");
});

test("a native BTM transfer through eth_sendRawTransaction and one through utxo_sendRawTransaction", async () => {
  const sender = dev[2];
  for (const method of ["eth_sendRawTransaction", "utxo_sendRawTransaction"]) {
    const to = fresh().address;
    const amount = ONE * 3n / 2n;
    const before = await balance(sender.address);
    const built = await N.buildTransfer(url, { key: DEV_KEYS[2], to, amount });
    assert.equal(built.fee, built.want, "the fee is exactly baseFee x native gas");
    const receipt = await send(built.raw, method);
    checkReceipt(receipt, built);
    assert.equal(lc(receipt.to), lc(to));
    await checkUtxoTx(built, receipt);
    checkEthShape(await N.call(url, "eth_getTransactionByHash", [built.hash]), built);

    assert.equal(before - (await balance(sender.address)), amount + built.fee, `${method}: sender pays amount + fee`);
    assert.equal(await balance(to), amount, `${method}: recipient gets amount`);

    // The spent coins are gone; the new ones are (hash, 0) and (hash, 1).
    for (const c of built.spent) assert.equal(await N.call(url, "utxo_getOutput", [{ tx: c.tx, index: ethers.toQuantity(c.index) }]), null);
    const coin = await N.call(url, "utxo_getOutput", [`${built.hash}:0`]);
    assert.equal(hexq(coin.amount), amount);
    assert.equal(lc(coin.owner), lc(to));
    const toCoins = await N.listUnspent(url, to, N.BTM);
    assert.deepEqual(toCoins.map((c) => [c.tx, c.index]), [[built.hash, 0]]);
    // The block's transaction list has it.
    const block = await N.call(url, "eth_getBlockByNumber", [receipt.blockNumber, false]);
    assert.ok(block.transactions.includes(built.hash));
  }
});

test("a key with two coins spends both with one signature; spending everything leaves no coin", async () => {
  const w = fresh();
  // Two coins to w, then w sends almost everything on (two inputs, one signature).
  for (const amount of [2n * ONE, 3n * ONE]) {
    await send((await N.buildTransfer(url, { key: DEV_KEYS[3], to: w.address, amount })).raw);
  }
  const coins = await N.listUnspent(url, w.address, N.BTM);
  assert.equal(coins.length, 2);
  const to = fresh().address;
  const built = await N.buildTransfer(url, { key: w.privateKey, to, amount: 4n * ONE });
  assert.equal(built.tx.inputs.length, 2);
  assert.equal(built.signers.length, 1, "one signature per distinct owner");
  const receipt = await send(built.raw);
  checkReceipt(receipt, built);
  assert.equal(await balance(to), 4n * ONE);
  assert.equal(await balance(w.address), ONE - built.fee);
  // Everything left, minus the fee, in one output: no change output.
  const s = await N.feeSchedule(url);
  const left = await balance(w.address);
  const probe = { chainId: BigInt(CHAIN_ID), inputs: [{ tx: ethers.ZeroHash, index: 0 }], outputs: [{ asset: N.BTM, amount: left, owner: to }], issuance: null };
  const gas = N.nativeGas(s, { inputs: 1, outputs: 1, bytes: N.envelopeSize(probe, 1), issuance: false });
  const fee = gas * s.baseFeePerGas;
  const [coin] = await N.listUnspent(url, w.address, N.BTM);
  const tx = { chainId: BigInt(CHAIN_ID), inputs: [{ tx: coin.tx, index: coin.index }], outputs: [{ asset: N.BTM, amount: left - fee, owner: to }], issuance: null };
  const signed = N.signNative(tx, [w.privateKey]);
  assert.equal(signed.size, N.envelopeSize(probe, 1));
  await send(signed.raw);
  assert.equal(await balance(w.address), 0n);
  assert.deepEqual(await N.listUnspent(url, w.address), []);
});

test("a block with a native and an Ethereum transaction reads with ethers and viem", async () => {
  // Interval mining, so that both transactions land in one block.
  const n2 = await startNode(["--block-time", "1"]);
  const p2 = new ethers.JsonRpcProvider(n2.url, CHAIN_ID, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
  try {
    const ethWallet = new ethers.Wallet(DEV_KEYS[1], p2);
    const recipients = new Set([dev[1].address, dev[2].address]);
    let pair;
    for (let attempt = 0; attempt < 3 && !pair; attempt++) {
      const ethTo = ethers.Wallet.createRandom().address;
      const nativeTo = ethers.Wallet.createRandom().address;
      recipients.add(ethTo).add(nativeTo);
      const fees = await p2.getFeeData();
      const ethRaw = await ethWallet.signTransaction({
        type: 2, chainId: CHAIN_ID, nonce: await p2.getTransactionCount(dev[1].address, "pending"),
        to: ethTo, value: 7n * ONE, gasLimit: 21000n,
        maxFeePerGas: fees.maxFeePerGas * 2n, maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      });
      const built = await N.buildTransfer(n2.url, { key: DEV_KEYS[2], to: nativeTo, amount: 5n * ONE });
      // Back to back in one batch request.
      const res = await fetch(n2.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([
          { jsonrpc: "2.0", id: 1, method: "eth_sendRawTransaction", params: [ethRaw] },
          { jsonrpc: "2.0", id: 2, method: "eth_sendRawTransaction", params: [built.raw] },
        ]),
      });
      const answers = await res.json();
      for (const a of answers) assert.ok(!a.error, JSON.stringify(a.error));
      const ethReceipt = await N.waitReceipt(n2.url, ethers.keccak256(ethRaw));
      const nativeReceipt = await N.waitReceipt(n2.url, built.hash);
      await N.checkLedger(n2.url, recipients, "mixed block");
      if (ethReceipt.blockNumber === nativeReceipt.blockNumber) pair = { ethHash: ethers.keccak256(ethRaw), built, nativeReceipt, nativeTo, ethTo };
    }
    assert.ok(pair, "the two transactions landed in one block (3 tries)");
    const { ethHash, built, nativeReceipt } = pair;
    const number = Number(hexq(nativeReceipt.blockNumber));

    // ethers v6: prefetched transactions and hashes.
    const full = await p2.getBlock(number, true);
    assert.equal(full.prefetchedTransactions.length, 2);
    const hashes = full.prefetchedTransactions.map((t) => t.hash);
    assert.ok(hashes.includes(ethHash) && hashes.includes(built.hash));
    const nt = full.prefetchedTransactions.find((t) => t.hash === built.hash);
    assert.equal(nt.type, 0x62);
    assert.equal(nt.from, built.signers[0]);
    assert.equal(nt.to, ethers.getAddress(pair.nativeTo));
    assert.equal(nt.value, 5n * ONE);
    assert.equal(nt.nonce, 0);
    assert.equal(nt.gasLimit, built.gas);
    assert.equal(nt.gasPrice, built.fee / built.gas);
    assert.equal(nt.data, "0x");
    assert.equal(nt.blockNumber, number);
    const sig = ethers.Signature.from(built.signatures[0]);
    assert.equal(nt.signature.r, sig.r);
    assert.equal(nt.signature.s, sig.s);
    assert.equal(nt.signature.yParity, sig.yParity);
    const et = full.prefetchedTransactions.find((t) => t.hash === ethHash);
    assert.equal(et.type, 2);
    const light = await p2.getBlock(number);
    assert.deepEqual([...light.transactions].sort(), [ethHash, built.hash].sort());
    const byHash = await p2.getBlock(full.hash, true);
    assert.equal(byHash.prefetchedTransactions.length, 2);
    const r = await p2.getTransactionReceipt(built.hash);
    assert.equal(r.status, 1);
    assert.equal(r.type, 0x62);
    assert.equal(r.gasUsed, built.gas);
    assert.equal(r.logs.length, 0);
    const t = await p2.getTransaction(built.hash);
    assert.equal(t.hash, built.hash);
    checkEthShape(await N.call(n2.url, "eth_getTransactionByHash", [built.hash]), built);
    checkEthShape(
      (await N.call(n2.url, "eth_getBlockByNumber", [nativeReceipt.blockNumber, true])).transactions.find((x) => x.hash === built.hash),
      built,
    );

    // viem.
    const chain = defineChain({
      id: CHAIN_ID, name: "bytom2 dev", nativeCurrency: { name: "BTM", symbol: "BTM", decimals: 18 },
      rpcUrls: { default: { http: [n2.url] } },
    });
    const client = createPublicClient({ chain, transport: http(n2.url) });
    const vb = await client.getBlock({ blockNumber: BigInt(number), includeTransactions: true });
    assert.equal(vb.transactions.length, 2);
    const vt = vb.transactions.find((x) => x.hash === built.hash);
    assert.equal(vt.typeHex, "0x62");
    assert.equal(lc(vt.from), lc(built.signers[0]));
    assert.equal(vt.value, 5n * ONE);
    assert.equal(vt.gas, built.gas);
    const vbh = await client.getBlock({ blockNumber: BigInt(number) });
    assert.equal(vbh.transactions.length, 2);
    const vr = await client.getTransactionReceipt({ hash: built.hash });
    assert.equal(vr.status, "success");
    assert.equal(vr.gasUsed, built.gas);
    const vtx = await client.getTransaction({ hash: built.hash });
    assert.equal(vtx.hash, built.hash);
  } finally {
    p2.destroy();
    await n2.stop();
  }
});

test("the mempool's rules: an input needed to settle a pending Ethereum transaction, an input spent by a pending transaction", async () => {
  // Interval mining (2 s) leaves time to see pending transactions.
  const n3 = await startNode(["--block-time", "2"]);
  try {
    const u = n3.url;
    // Start right after a block, so that nothing is mined in the middle of a scenario.
    const freshBlock = async () => {
      const start = await N.call(u, "eth_blockNumber");
      const end = Date.now() + 10000;
      while ((await N.call(u, "eth_blockNumber")) === start) {
        assert.ok(Date.now() < end, "interval mining produces a block every 2 s");
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const w1 = new ethers.Wallet(DEV_KEYS[1]);
    await freshBlock();
    const feeData = await N.call(u, "eth_gasPrice");
    // DEV1 has one coin; a pending Ethereum transfer's change will be settled from it.
    const ethRaw = await w1.signTransaction({
      type: 2, chainId: CHAIN_ID, nonce: 0, to: ethers.Wallet.createRandom().address, value: ONE, gasLimit: 21000n,
      maxFeePerGas: BigInt(feeData) * 2n, maxPriorityFeePerGas: 0n,
    });
    const ethHash = await N.call(u, "eth_sendRawTransaction", [ethRaw]);
    const [coin] = await N.listUnspent(u, w1.address, N.BTM);
    const native = await N.buildTransfer(u, { key: DEV_KEYS[1], to: ethers.Wallet.createRandom().address, amount: ONE });
    await refusedAt(u, native.raw, `input ${coin.tx}:${coin.index} is needed to settle pending transaction ${ethHash} of ${w1.address}`);

    // DEV2: two native transactions spending the same coin.
    await freshBlock();
    const to = ethers.Wallet.createRandom().address;
    const a = await N.buildTransfer(u, { key: DEV_KEYS[2], to, amount: ONE });
    const b = await N.buildTransfer(u, { key: DEV_KEYS[2], to, amount: 2n * ONE });
    assert.equal(await N.call(u, "utxo_sendRawTransaction", [a.raw]), a.hash);
    const spent = a.spent[0];
    await refusedAt(u, b.raw, `input ${spent.tx}:${spent.index} is already spent by pending transaction ${a.hash}`);
    // Both pending ones are mined; the ledger agrees afterwards.
    assert.equal((await N.waitReceipt(u, ethHash)).status, "0x1");
    assert.equal((await N.waitReceipt(u, a.hash)).status, "0x1");
    await N.checkLedger(u, [w1.address, new ethers.Wallet(DEV_KEYS[2]).address, to], "after the pending ones");
  } finally {
    await n3.stop();
  }
});

test("the documented errors: spent input, bad signature, fee too low, wrong chain id, output to a contract", async () => {
  const key = DEV_KEYS[3];
  const me = dev[3].address;
  const to = fresh().address;
  const before = await balance(me);
  const head = await N.call(url, "eth_blockNumber");

  // Spending a spent output: the coins of a mined transaction.
  const first = await N.buildTransfer(url, { key, to, amount: ONE });
  await send(first.raw);
  const spent = first.spent[0];
  const again = await N.buildTransfer(url, { key, to, amount: ONE / 2n, coins: [spent] });
  await refused(again.raw, `input ${spent.tx}:${spent.index} does not exist or is already spent`);
  await refused(first.raw, new RegExp(`already|input ${spent.tx}:${spent.index} does not exist or is already spent`, "i"));

  // An input listed twice.
  const good = await N.buildTransfer(url, { key, to, amount: ONE });
  const dupTx = { ...good.tx, inputs: [good.tx.inputs[0], good.tx.inputs[0]] };
  await refused(N.signNative(dupTx, [key]).raw, `input ${dupTx.inputs[0].tx}:${dupTx.inputs[0].index} is spent twice`);

  // Bad signatures: a high-s signature (EIP-2), and the right shape from the wrong key.
  const n = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  const sig = ethers.Signature.from(good.signatures[0]);
  const highS = ethers.concat([sig.r, ethers.toBeHex(n - BigInt(sig.s), 32), sig.yParity ? "0x00" : "0x01"]);
  await refused(N.encodeEnvelope(good.tx, [highS]), "signature 0 is invalid");
  const wrong = N.signNative(good.tx, [DEV_KEYS[0]]);
  await refused(wrong.raw, `signatures do not match the signers: expected [${me}], got [${dev[0].address}]`);
  await refused(N.encodeEnvelope(good.tx, []), new RegExp(`signatures do not match the signers: expected \\[${me}\\], got \\[\\]`, "i"));

  // Fee one wei too low.
  const s = await N.feeSchedule(url);
  const cheap = await N.buildTransfer(url, { key, to, amount: ONE, feeDelta: -1n });
  await refused(cheap.raw, `fee too low: have ${cheap.want - 1n}, want ${cheap.want} (base fee ${s.baseFeePerGas} x native gas ${cheap.gas})`);

  // Another chain's transaction.
  const otherChain = await N.buildTransfer(url, { key, to, amount: ONE, chainId: 1n });
  await refused(otherChain.raw, `invalid chain id: expected ${CHAIN_ID}, got 1`);
  await refused(otherChain.raw, `invalid chain id: expected ${CHAIN_ID}, got 1`, "utxo_sendRawTransaction");

  // Outputs to a contract and to the zero address.
  const toContract = await N.buildTransfer(url, { key, to: MULTICALL3, amount: ONE });
  await refused(toContract.raw, `output 0 pays contract ${MULTICALL3}: call the contract instead`);
  const toZero = await N.buildTransfer(url, { key, to: ethers.ZeroAddress, amount: ONE });
  await refused(toZero.raw, "output 0 pays the zero address");

  // More out than in.
  const over = { ...good.tx, outputs: good.tx.outputs.map((o, i) => (i === 0 ? { ...o, amount: o.amount + 10n ** 30n } : o)) };
  await refused(N.signNative(over, [key]).raw, new RegExp(`^asset ${N.BTM}: outputs \\d+ exceed inputs \\d+$`));

  // No inputs.
  await refused(N.signNative({ chainId: BigInt(CHAIN_ID), inputs: [], outputs: good.tx.outputs, issuance: null }, []).raw, "native transaction has no inputs");

  // Nothing of the refused transactions happened: one block, one transfer.
  assert.equal(hexq(await N.call(url, "eth_blockNumber")), hexq(head) + 1n);
  assert.equal(before - (await balance(me)), ONE + first.fee);
  await ledger("after errors");
  // The good one still goes through.
  checkReceipt(await send(good.raw), good);
});

let gold; // { assetId, token, definition, amount } created by a native transaction

test("create and issue an asset with a native transaction; read it as an ERC-20 with ethers", async () => {
  const key = DEV_KEYS[0];
  const me = dev[0].address;
  const holder = fresh().address;
  const amount = 1_000_000n * 10n ** 8n;
  const built = await N.buildCreateAsset(url, {
    key,
    definition: { name: "Gold", symbol: "GLD", decimals: 8, data: "0x676f6c64" },
    amount,
    to: me,
  });
  touch(built.token);
  const receipt = await send(built.raw);
  checkReceipt(receipt, built);
  await checkUtxoTx(built, receipt, { issuance: { asset: built.assetId, amount } });
  gold = { assetId: built.assetId, token: built.token, definition: built.definition };

  const t = await N.call(url, "utxo_getTransaction", [built.hash]);
  assert.equal(t.issuance.definition.name, "Gold");
  assert.equal(t.issuance.definition.symbol, "GLD");
  assert.equal(Number(hexq(t.issuance.definition.decimals)), 8);
  assert.equal(lc(t.issuance.definition.issuer), lc(me));

  const a = await N.call(url, "utxo_getAsset", [built.assetId]);
  assert.equal(a.assetId, built.assetId);
  assert.equal(lc(a.token), lc(built.token), "token = keccak256('bytom2/asset-token' || assetId)[12:]");
  assert.equal(a.name, "Gold");
  assert.equal(a.symbol, "GLD");
  assert.equal(Number(hexq(a.decimals)), 8);
  assert.equal(lc(a.issuer), lc(me));
  assert.equal(a.data, "0x676f6c64");
  const assets = await N.call(url, "utxo_listAssets");
  assert.ok(assets.some((x) => x.assetId === built.assetId));
  const supply = await N.call(url, "utxo_supply", [built.assetId]);
  assert.deepEqual(
    Object.fromEntries(["genesis", "issued", "rewards", "burned", "total"].map((k) => [k, hexq(supply[k])])),
    { genesis: 0n, issued: amount, rewards: 0n, burned: 0n, total: amount },
  );

  const token = new ethers.Contract(built.token, abi.token, provider);
  assert.equal(await token.name(), "Gold");
  assert.equal(await token.symbol(), "GLD");
  assert.equal(await token.decimals(), 8n);
  assert.equal(await token.totalSupply(), amount);
  assert.equal(await token.balanceOf(me), amount);
  assert.equal(await token.issuer(), me);
  assert.equal(await token.assetId(), built.assetId);
  assert.equal(await token.data(), "0x676f6c64");

  // Issue more (issuer signs), to another holder.
  const more = await N.buildIssue(url, { key, assetId: built.assetId, amount: 500n, to: holder });
  const r2 = await send(more.raw);
  await checkUtxoTx(more, r2, { issuance: { asset: built.assetId, amount: 500n } });
  assert.equal(await token.totalSupply(), amount + 500n);
  assert.equal(await token.balanceOf(holder), 500n);
  assert.equal(hexq((await N.call(url, "utxo_supply", [built.assetId])).issued), amount + 500n);

  // Refusals: someone else issuing, creating it again, issuing BTM, unknown asset.
  const other = DEV_KEYS[1];
  const notIssuer = await N.buildIssue(url, { key: other, assetId: built.assetId, amount: 1n, issuer: dev[3].address, extraKeys: [DEV_KEYS[3]] });
  await refused(notIssuer.raw, `only the issuer ${me} may issue asset ${built.assetId}`);
  const twice = await N.buildCreateAsset(url, { key, definition: built.definition, amount: 1n });
  await refused(twice.raw, `asset ${built.assetId} already exists`);
  const btm = await N.buildIssue(url, { key, assetId: N.BTM, amount: 1n });
  await refused(btm.raw, "BTM cannot be issued");
  const unknown = ethers.keccak256("0x1234");
  await refused((await N.buildIssue(url, { key, assetId: unknown, amount: 1n })).raw, `asset ${unknown} does not exist`);
  await ledger("after asset refusals");
});

test("a native transfer of a native asset, with BTM for the fee, and a burn", async () => {
  assert.ok(gold, "needs the Gold asset");
  const w = fresh();
  const to = fresh().address;
  await send((await N.buildTransfer(url, { key: DEV_KEYS[0], to: w.address, amount: ONE })).raw);
  await send((await N.buildTransfer(url, { key: DEV_KEYS[0], to: w.address, amount: 1000n, asset: gold.assetId })).raw);
  const built = await N.buildTransfer(url, { key: w.privateKey, to, amount: 300n, asset: gold.assetId });
  // Inputs: BTM coin and Gold coin; outputs: 300 GLD to `to`, 700 GLD change, BTM change.
  assert.equal(built.tx.outputs.length, 3);
  await send(built.raw);
  const token = new ethers.Contract(gold.token, abi.token, provider);
  assert.equal(await token.balanceOf(to), 300n);
  assert.equal(await token.balanceOf(w.address), 700n);
  assert.equal(await balance(w.address), ONE - built.fee);

  // Burn 100 of w's 700 by spending them and re-creating 600.
  const supplyBefore = await token.totalSupply();
  const burnedBefore = hexq((await N.call(url, "utxo_supply", [gold.assetId])).burned);
  const burn = await N.buildNative(url, { key: w.privateKey, payments: [{ asset: gold.assetId, amount: 100n, burn: true }] });
  await send(burn.raw);
  assert.equal(await token.balanceOf(w.address), 600n);
  assert.equal(await token.totalSupply(), supplyBefore - 100n);
  assert.equal(hexq((await N.call(url, "utxo_supply", [gold.assetId])).burned), burnedBefore + 100n);
});

test("ERC-20 transfer, approve, transferFrom and allowance of a native asset (Ethereum transactions)", async () => {
  assert.ok(gold, "needs the Gold asset");
  const owner = new ethers.Wallet(DEV_KEYS[0], provider);
  const spender = new ethers.Wallet(DEV_KEYS[1], provider);
  const token = new ethers.Contract(gold.token, abi.token, owner);
  const to = fresh().address;
  const sink = fresh().address;
  const ownerBefore = N.sumCoins(await N.listUnspent(url, owner.address, gold.assetId));

  const receipt = await mined(token.transfer(to, 12345n), "transfer");
  const ev = receipt.logs.map((l) => (lc(l.address) === lc(gold.token) ? token.interface.parseLog(l) : null)).find((e) => e?.name === "Transfer");
  assert.ok(ev, "Transfer event from the token");
  assert.equal(ev.args.from, owner.address);
  assert.equal(ev.args.to, to);
  assert.equal(ev.args.value, 12345n);
  const toCoins = await N.listUnspent(url, to, gold.assetId);
  assert.equal(N.sumCoins(toCoins), 12345n);
  assert.equal(toCoins[0].txIndex, "0xffffffff", "created by the block's settlement");
  assert.equal(N.sumCoins(await N.listUnspent(url, owner.address, gold.assetId)), ownerBefore - 12345n);
  const logs = await provider.getLogs({ address: gold.token, topics: [token.interface.getEvent("Transfer").topicHash], fromBlock: receipt.blockNumber, toBlock: receipt.blockNumber });
  assert.equal(logs.length, 1);

  const r2 = await mined(token.approve(spender.address, 1000n), "approve");
  const ap = r2.logs.map((l) => token.interface.parseLog(l)).find((e) => e?.name === "Approval");
  assert.equal(ap.args.owner, owner.address);
  assert.equal(ap.args.spender, spender.address);
  assert.equal(ap.args.value, 1000n);
  assert.equal(await token.allowance(owner.address, spender.address), 1000n);
  await mined(token.connect(spender).transferFrom(owner.address, sink, 400n), "transferFrom");
  assert.equal(await token.allowance(owner.address, spender.address), 600n);
  assert.equal(N.sumCoins(await N.listUnspent(url, sink, gold.assetId)), 400n);
  assert.equal(N.sumCoins(await N.listUnspent(url, owner.address, gold.assetId)), ownerBefore - 12345n - 400n);
  // The token's custom errors (decoded by the contract on a call).
  await assert.rejects(token.connect(spender).transferFrom.staticCall(owner.address, sink, 601n), (e) => {
    assert.equal(e.revert?.name, "ERC20InsufficientAllowance");
    assert.deepEqual([...e.revert.args], [spender.address, 600n, 601n]);
    return true;
  });
  await assert.rejects(token.transfer.staticCall(sink, 10n ** 30n), (e) => e.revert?.name === "ERC20InsufficientBalance");
  await assert.rejects(token.connect(spender).transferFrom(owner.address, sink, 601n), (e) => e.code === "CALL_EXCEPTION");
});

let silver; // created through the precompile: { assetId, token, def, creator }

/** Gas limit for transactions to the precompile (createAsset costs 100,000 + 200 per byte). */
const PRECOMPILE_GAS = { gasLimit: 300000n };

test("create and issue an asset through the IAssetIssuer precompile (transactions)", async () => {
  const creator = new ethers.Wallet(DEV_KEYS[1], provider);
  const issuer = new ethers.Contract(N.ASSET_ISSUER, abi.issuer, creator);
  const def = { name: "Silver", symbol: "SLV", decimals: 6, issuer: creator.address, data: "0x1234" };
  const expectedId = N.assetIdOf(def);
  const expectedToken = N.tokenAddressOf(expectedId);
  touch(expectedToken);
  // Explicit gas limits: these transactions do not depend on eth_estimateGas (tested below).
  const receipt = await mined(issuer.createAsset(def.name, def.symbol, def.decimals, def.data, PRECOMPILE_GAS), "createAsset");
  const created = receipt.logs.filter((l) => lc(l.address) === lc(N.ASSET_ISSUER)).map((l) => issuer.interface.parseLog(l)).find((e) => e?.name === "AssetCreated");
  assert.ok(created, "AssetCreated");
  assert.equal(created.args.assetId, expectedId, "the asset id is the definition's id with the caller as issuer");
  assert.equal(created.args.issuer, creator.address);
  assert.equal(created.args.token, expectedToken);
  assert.equal(created.args.name, "Silver");
  assert.equal(created.args.symbol, "SLV");
  assert.equal(created.args.decimals, 6n);
  assert.ok(receipt.gasUsed >= 100000n + 200n * 11n, "createAsset: 100,000 gas plus 200 per byte");
  const a = await N.call(url, "utxo_getAsset", [expectedId]);
  assert.equal(a.name, "Silver");
  assert.equal(a.symbol, "SLV");
  assert.equal(a.data, "0x1234");
  assert.equal(lc(a.token), lc(expectedToken));
  assert.equal(lc(a.issuer), lc(creator.address));
  const token = new ethers.Contract(expectedToken, abi.token, provider);
  assert.equal(await token.name(), "Silver");
  assert.equal(await token.totalSupply(), 0n);

  const holder = fresh().address;
  const r2 = await mined(issuer.issue(expectedId, holder, 5000n, PRECOMPILE_GAS), "issue");
  const issued = r2.logs.filter((l) => lc(l.address) === lc(N.ASSET_ISSUER)).map((l) => issuer.interface.parseLog(l)).find((e) => e?.name === "AssetIssued");
  assert.ok(issued, "AssetIssued");
  assert.equal(issued.args.assetId, expectedId);
  assert.equal(issued.args.to, holder);
  assert.equal(issued.args.amount, 5000n);
  const tr = r2.logs.filter((l) => lc(l.address) === lc(expectedToken)).map((l) => token.interface.parseLog(l)).find((e) => e?.name === "Transfer");
  assert.ok(tr, "the token logs Transfer(0, to, amount)");
  assert.equal(tr.args.from, ethers.ZeroAddress);
  assert.equal(tr.args.to, holder);
  assert.equal(tr.args.value, 5000n);
  assert.equal(await token.balanceOf(holder), 5000n);
  assert.equal(await token.totalSupply(), 5000n);
  assert.equal(await token.decimals(), 6n);
  assert.equal(N.sumCoins(await N.listUnspent(url, holder, expectedId)), 5000n);
  assert.equal(hexq((await N.call(url, "utxo_supply", [expectedId])).issued), 5000n);
  silver = { assetId: expectedId, token: expectedToken, def, creator: creator.address };

  // A non-issuer's issue and a second createAsset of the same definition are mined
  // with status 0 and change nothing.
  const stranger = new ethers.Wallet(DEV_KEYS[2], provider);
  for (const send of [
    () => issuer.connect(stranger).issue(expectedId, stranger.address, 1n, PRECOMPILE_GAS),
    () => issuer.createAsset(def.name, def.symbol, def.decimals, def.data, PRECOMPILE_GAS),
  ]) {
    const tx = await send();
    await assert.rejects(tx.wait(), (e) => e.code === "CALL_EXCEPTION" && e.receipt?.status === 0);
  }
  assert.equal(await token.totalSupply(), 5000n);
  assert.equal(await token.balanceOf(stranger.address), 0n);
  await ledger("after reverted precompile calls");

  // The precompile's asset can also be issued by a native transaction signed by its issuer.
  const more = await N.buildIssue(url, { key: DEV_KEYS[1], assetId: expectedId, amount: 10n, to: holder });
  await send(more.raw);
  assert.equal(await token.totalSupply(), 5010n);
});

test("eth_call and eth_estimateGas run the IAssetIssuer precompile", async () => {
  assert.ok(gold && silver, "needs both assets");
  const creator = new ethers.Wallet(DEV_KEYS[1], provider);
  const issuer = new ethers.Contract(N.ASSET_ISSUER, abi.issuer, creator);
  // Views.
  assert.equal(await issuer.tokenOf(gold.assetId), gold.token);
  assert.equal(await issuer.assetOf(gold.token), gold.assetId);
  assert.equal(await issuer.tokenOf(silver.assetId), silver.token);
  assert.equal(await issuer.assetOf(silver.token), silver.assetId);
  assert.equal(await issuer.assetOf(creator.address), ethers.ZeroHash);
  const unknownId = ethers.keccak256("0x42");
  assert.equal(await issuer.tokenOf(unknownId), N.tokenAddressOf(unknownId), "tokenOf answers whether or not the asset exists");
  // A simulated createAsset returns the id and token address it would create.
  const def = { name: "Copper", symbol: "CU", decimals: 2, issuer: creator.address, data: "0x" };
  const [id, token] = await issuer.createAsset.staticCall(def.name, def.symbol, def.decimals, def.data);
  assert.equal(id, N.assetIdOf(def));
  assert.equal(token, N.tokenAddressOf(id));
  const gas = await issuer.createAsset.estimateGas(def.name, def.symbol, def.decimals, def.data);
  assert.ok(gas >= 100000n + 200n * 10n, `estimateGas covers createAsset's 100,000 + 200/byte, got ${gas}`);
  // ethers' default path (estimateGas, then send) creates it.
  const r = await mined(issuer.createAsset(def.name, def.symbol, def.decimals, def.data), "createAsset with estimated gas");
  assert.ok(r.logs.some((l) => lc(l.address) === lc(N.ASSET_ISSUER)));
  touch(token);
  await mined(issuer.issue(id, creator.address, 77n), "issue with estimated gas");
  // Reverts come back with the reason.
  const stranger = new ethers.Wallet(DEV_KEYS[2], provider);
  await assert.rejects(issuer.connect(stranger).issue(silver.assetId, stranger.address, 1n), (e) => {
    assert.equal(e.reason, "not the issuer");
    return true;
  });
  await assert.rejects(issuer.createAsset(silver.def.name, silver.def.symbol, silver.def.decimals, silver.def.data), (e) => e.reason === "asset exists");
  await assert.rejects(issuer.issue(unknownId, creator.address, 1n), (e) => e.reason === "unknown asset");
  // Calls with value revert.
  await assert.rejects(
    provider.call({ from: creator.address, to: N.ASSET_ISSUER, value: 1n, data: issuer.interface.encodeFunctionData("tokenOf", [unknownId]) }),
    (e) => e.code === "CALL_EXCEPTION",
  );
});

test("utxo_getTransaction lists outputs as coins (blockNumber, txIndex, outputIndex)", async () => {
  assert.ok(minedNative.length > 0);
  for (const { hash, receipt, outputs } of minedNative) {
    const t = await N.call(url, "utxo_getTransaction", [hash]);
    assert.equal(t.outputs.length, outputs);
    t.outputs.forEach((c, i) => {
      assert.equal(c.blockNumber, receipt.blockNumber, `${hash} outputs[${i}].blockNumber`);
      assert.equal(c.txIndex, receipt.transactionIndex, `${hash} outputs[${i}].txIndex`);
      assert.equal(hexq(c.outputIndex), BigInt(i), `${hash} outputs[${i}].outputIndex`);
    });
  }
});

test("MetaMask's custom-token calls: symbol(), decimals(), balanceOf(addr) by eth_call", async () => {
  assert.ok(gold && silver, "needs both assets");
  const coder = ethers.AbiCoder.defaultAbiCoder();
  for (const [t, symbol, decimals] of [[gold, "GLD", 8n], [silver, "SLV", 6n]]) {
    const code = await N.call(url, "eth_getCode", [t.token, "latest"]);
    assert.ok(code.length > 2, "the token has code");
    const raw = (data) => N.call(url, "eth_call", [{ to: t.token, data }, "latest"]);
    assert.equal(coder.decode(["string"], await raw("0x95d89b41"))[0], symbol);
    assert.equal(coder.decode(["uint8"], await raw("0x313ce567"))[0], decimals);
    for (const who of touched) {
      const bal = coder.decode(["uint256"], await raw("0x70a08231" + ethers.zeroPadValue(who, 32).slice(2)))[0];
      assert.equal(bal, N.sumCoins(await N.listUnspent(url, who, t.assetId)), `${symbol} balanceOf(${who})`);
    }
  }
  await ledger("end");
});
