// bytom2 --dev as a drop-in for anvil/Hardhat in a test suite: the dev methods the
// Hardhat network-helpers and Foundry call (snapshot/revert, time travel, mining,
// impersonation, state edits), eth_sendTransaction through ethers' JsonRpcSigner, and
// OpenZeppelin contracts' own behaviour (ERC-20 allowance, Ownable, a timelock that needs
// evm_increaseTime). The UTXO view stays exact throughout: utxo_listUnspent sums equal
// eth_getBalance.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { startNode, rpc, contracts } from "./helpers.mjs";

const require = createRequire(import.meta.url);
const { ethers } = require("ethers");

let node;
let provider;
let c;

before(async () => {
  c = contracts();
  node = await startNode();
  // No response cache: blocks and balances change under the provider (reverts, resets).
  provider = new ethers.JsonRpcProvider(node.url, undefined, {
    staticNetwork: true,
    pollingInterval: 50,
    cacheTimeout: -1,
  });
});

after(async () => {
  provider?.destroy();
  await node?.stop();
});

const send = (method, params = []) => provider.send(method, params);

async function utxoSum(address) {
  const outputs = await send("utxo_listUnspent", [address]);
  return outputs.reduce((s, o) => s + BigInt(o.amount), 0n);
}

async function assertBalanceIsOutputs(address) {
  const balance = await provider.getBalance(address);
  assert.equal(await utxoSum(address), balance, `outputs of ${address} sum to its balance`);
  return balance;
}

/** The custom error a revert carries, decoded with `contract`'s ABI (ethers leaves
 * errors raised while a JsonRpcSigner estimates gas undecoded, on any node). */
function revertName(contract, e) {
  return e.revert?.name ?? contract.interface.parseError(e.data)?.name;
}

async function head() {
  return provider.getBlock("latest");
}

test("eth_accounts lists the dev accounts and eth_sendTransaction signs for them", async () => {
  const accounts = await send("eth_accounts");
  assert.equal(accounts.length, 10);
  assert.equal(ethers.getAddress(accounts[0]), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  const signer = await provider.getSigner(0);
  const to = ethers.Wallet.createRandom().address;
  const tx = await signer.sendTransaction({ to, value: 12345n });
  const receipt = await tx.wait();
  assert.equal(receipt.status, 1);
  assert.equal(await provider.getBalance(to), 12345n);
  await assertBalanceIsOutputs(to);
  await assert.rejects(
    send("eth_sendTransaction", [{ from: ethers.Wallet.createRandom().address, to, value: "0x1" }]),
    /No Signer available/,
  );
});

test("snapshot and revert, Hardhat style: a snapshot reverts once and is taken again", async () => {
  const signer = await provider.getSigner(1);
  const token = await new ethers.ContractFactory(c.TestToken.abi, c.TestToken.bytecode, signer).deploy(1000n);
  await token.waitForDeployment();
  const to = ethers.Wallet.createRandom().address;
  const startBlock = await provider.getBlockNumber();
  const startBalance = await provider.getBalance(await signer.getAddress());

  let id = await send("evm_snapshot");
  await (await token.transfer(to, 10n)).wait();
  await send("hardhat_setBalance", [to, "0xde0b6b3a7640000"]);
  assert.equal(await token.balanceOf(to), 10n);
  assert.equal(await send("evm_revert", [id]), true);
  assert.equal(await provider.getBlockNumber(), startBlock);
  assert.equal(await token.balanceOf(to), 0n);
  assert.equal(await provider.getBalance(to), 0n);
  assert.equal(await provider.getBalance(await signer.getAddress()), startBalance);
  await assertBalanceIsOutputs(await signer.getAddress());
  // The same snapshot cannot be reverted twice; Hardhat takes a new one.
  assert.equal(await send("evm_revert", [id]), false);
  id = await send("evm_snapshot");
  await (await token.transfer(to, 20n)).wait();
  assert.equal(await token.balanceOf(to), 20n);
  assert.equal(await send("evm_revert", [id]), true);
  assert.equal(await token.balanceOf(to), 0n);
  // The nonce went back with the chain: the signer continues from it.
  await (await token.transfer(to, 30n)).wait();
  assert.equal(await token.balanceOf(to), 30n);
});

test("time travel: evm_increaseTime, evm_setNextBlockTimestamp, hardhat_mine with an interval", async () => {
  const t0 = (await head()).timestamp;
  await send("evm_increaseTime", [3600]);
  await send("evm_mine");
  const t1 = (await head()).timestamp;
  assert.ok(t1 >= t0 + 3600, `${t1} >= ${t0} + 3600`);

  await send("evm_setNextBlockTimestamp", [t1 + 100]);
  await send("evm_mine");
  assert.equal((await head()).timestamp, t1 + 100);

  await send("evm_mine", [t1 + 200]);
  assert.equal((await head()).timestamp, t1 + 200);

  const n = await provider.getBlockNumber();
  await send("hardhat_mine", ["0x64", "0x2"]);
  const last = await head();
  assert.equal(last.number, n + 100);
  const prev = await provider.getBlock(last.number - 1);
  assert.equal(last.timestamp - prev.timestamp, 2);

  await assert.rejects(send("evm_setNextBlockTimestamp", [1]), (e) => {
    assert.match(e.error?.message ?? e.message, /Timestamp error: 1 is lower/);
    return true;
  });
});

test("impersonation: send from an address without its key, with the balance set by hardhat_setBalance", async () => {
  const whale = ethers.Wallet.createRandom().address;
  const to = ethers.Wallet.createRandom().address;
  await send("hardhat_setBalance", [whale, ethers.toQuantity(ethers.parseEther("5"))]);
  assert.equal(await assertBalanceIsOutputs(whale), ethers.parseEther("5"));
  const supply = await send("utxo_supply");
  assert.ok(BigInt(supply.adjustedIn) >= ethers.parseEther("5"));

  await send("hardhat_impersonateAccount", [whale]);
  const signer = await provider.getSigner(whale);
  const receipt = await (await signer.sendTransaction({ to, value: ethers.parseEther("1") })).wait();
  assert.equal(receipt.status, 1);
  assert.equal(ethers.getAddress(receipt.from), ethers.getAddress(whale));
  assert.equal(await provider.getBalance(to), ethers.parseEther("1"));
  await assertBalanceIsOutputs(whale);
  await assertBalanceIsOutputs(to);
  const tx = await provider.getTransaction(receipt.hash);
  assert.equal(ethers.getAddress(tx.from), ethers.getAddress(whale));

  await send("hardhat_stopImpersonatingAccount", [whale]);
  await assert.rejects(send("eth_sendTransaction", [{ from: whale, to, value: "0x1" }]), /No Signer available/);

  // Lowering a balance spends outputs and returns change.
  await send("anvil_setBalance", [whale, "0x3e8"]);
  assert.equal(await assertBalanceIsOutputs(whale), 1000n);
});

test("state edits: setCode, setStorageAt, setNonce show at once", async () => {
  const target = ethers.Wallet.createRandom().address;
  // PUSH1 0x2a PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN: returns 42.
  await send("anvil_setCode", [target, "0x602a60005260206000f3"]);
  assert.equal(await provider.getCode(target), "0x602a60005260206000f3");
  assert.equal(BigInt(await provider.call({ to: target })), 42n);
  await send("hardhat_setStorageAt", [target, "0x5", ethers.zeroPadValue("0x07", 32)]);
  assert.equal(await provider.getStorage(target, 5), ethers.zeroPadValue("0x07", 32));
  await send("anvil_setNonce", [target, "0x9"]);
  assert.equal(await provider.getTransactionCount(target), 9);
});

test("mining modes: automine off keeps transactions pending until evm_mine; anvil_dropTransaction", async () => {
  const signer = await provider.getSigner(2);
  const to = ethers.Wallet.createRandom().address;
  await send("evm_setAutomine", [false]);
  try {
    assert.equal(await send("hardhat_getAutomine"), false);
    const n = await provider.getBlockNumber();
    const hash = await send("eth_sendTransaction", [{ from: await signer.getAddress(), to, value: "0x1" }]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await provider.getBlockNumber(), n);
    assert.equal(await provider.getTransactionReceipt(hash), null);
    const status = await send("txpool_status");
    assert.equal(status.pending, "0x1");
    assert.equal(await send("anvil_dropTransaction", [hash]), hash);
    assert.equal(await send("anvil_dropTransaction", [hash]), null);
    await send("evm_mine");
    assert.equal(await provider.getBlockNumber(), n + 1);
    assert.equal(await provider.getTransactionReceipt(hash), null);

    const hash2 = await send("eth_sendTransaction", [{ from: await signer.getAddress(), to, value: "0x2" }]);
    await send("evm_mine");
    assert.equal((await provider.getTransactionReceipt(hash2)).status, 1);
  } finally {
    await send("evm_setAutomine", [true]);
  }
  assert.equal(await send("hardhat_getAutomine"), true);
});

test("block settings: coinbase, next base fee, block gas limit; anvil_nodeInfo", async () => {
  const coinbase = ethers.Wallet.createRandom().address;
  await send("anvil_setCoinbase", [coinbase]);
  await send("anvil_setNextBlockBaseFeePerGas", ["0x3b9aca00"]);
  await send("evm_setBlockGasLimit", ["0x2faf080"]);
  const randao = ethers.hexlify(ethers.randomBytes(32));
  await send("hardhat_setPrevRandao", [randao]);
  await send("evm_mine");
  const block = await head();
  assert.equal(block.prevRandao, randao);
  assert.equal(ethers.getAddress(block.miner), ethers.getAddress(coinbase));
  assert.equal(block.baseFeePerGas, 1_000_000_000n);
  assert.equal(block.gasLimit, 50_000_000n);
  const info = await send("anvil_nodeInfo");
  assert.equal(Number(info.currentBlockNumber), block.number);
  assert.equal(info.environment.chainId, 19000);
  assert.equal(info.hardFork, "Prague");
  const version = await send("web3_clientVersion");
  assert.match(version, /^bytom2\//);
});

test("OpenZeppelin: ERC-20 allowance, Ownable, and a TimelockController that needs evm_increaseTime", async () => {
  const admin = await provider.getSigner(3);
  const other = await provider.getSigner(4);
  const adminAddr = await admin.getAddress();
  const otherAddr = await other.getAddress();

  // ERC-20 allowance.
  const token = await new ethers.ContractFactory(c.TestToken.abi, c.TestToken.bytecode, admin).deploy(1000n);
  await token.waitForDeployment();
  await (await token.approve(otherAddr, 100n)).wait();
  assert.equal(await token.allowance(adminAddr, otherAddr), 100n);
  const asOther = token.connect(other);
  await (await asOther.transferFrom(adminAddr, otherAddr, 60n)).wait();
  assert.equal(await token.allowance(adminAddr, otherAddr), 40n);
  assert.equal(await token.balanceOf(otherAddr), 60n);
  await assert.rejects(asOther.transferFrom(adminAddr, otherAddr, 41n), (e) => {
    assert.equal(revertName(token, e), "ERC20InsufficientAllowance");
    return true;
  });

  // Ownable.
  const counter = await new ethers.ContractFactory(c.OwnedCounter.abi, c.OwnedCounter.bytecode, admin).deploy(adminAddr);
  await counter.waitForDeployment();
  await (await counter.bump()).wait();
  assert.equal(await counter.count(), 1n);
  await assert.rejects(counter.connect(other).bump(), (e) => {
    assert.equal(revertName(counter, e), "OwnableUnauthorizedAccount");
    return true;
  });

  // A one-day timelock owns the counter.
  const day = 86_400;
  const timelock = await new ethers.ContractFactory(c.DevTimelock.abi, c.DevTimelock.bytecode, admin).deploy(
    day,
    [adminAddr],
    [adminAddr],
    ethers.ZeroAddress,
  );
  await timelock.waitForDeployment();
  const timelockAddr = await timelock.getAddress();
  await (await counter.transferOwnership(timelockAddr)).wait();
  assert.equal(await counter.owner(), timelockAddr);

  const data = counter.interface.encodeFunctionData("bump");
  const target = await counter.getAddress();
  const salt = ethers.ZeroHash;
  await (await timelock.schedule(target, 0, data, ethers.ZeroHash, salt, day)).wait();
  const id = await timelock.hashOperation(target, 0, data, ethers.ZeroHash, salt);
  assert.equal(await timelock.isOperationPending(id), true);
  assert.equal(await timelock.isOperationReady(id), false);
  await assert.rejects(timelock.execute(target, 0, data, ethers.ZeroHash, salt), (e) => {
    assert.equal(revertName(timelock, e), "TimelockUnexpectedOperationState");
    return true;
  });

  await send("evm_increaseTime", [day]);
  await send("evm_mine");
  assert.equal(await timelock.isOperationReady(id), true);
  await (await timelock.execute(target, 0, data, ethers.ZeroHash, salt)).wait();
  assert.equal(await counter.count(), 2n);
  assert.equal(await timelock.isOperationDone(id), true);
});

test("anvil_reset returns to genesis", async () => {
  const dev0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
  assert.ok((await provider.getBlockNumber()) > 0);
  await send("anvil_reset");
  assert.equal(await provider.getBlockNumber(), 0);
  assert.equal(await provider.getBalance(dev0), ethers.parseEther("10000"));
  assert.equal(await provider.getTransactionCount(dev0), 0);
  const supply = await send("utxo_supply");
  assert.equal(BigInt(supply.adjustedIn), 0n);
  assert.equal(BigInt(supply.total), BigInt(supply.genesis));
  await assert.rejects(send("anvil_reset", [{ forking: { jsonRpcUrl: "http://127.0.0.1:1" } }]), /forking is not supported/);
});

test("--client-version lets Hardhat's network-helpers recognise the node", async () => {
  const other = await startNode(["--client-version", "anvil/bytom2"]);
  try {
    const version = (await rpc(other.url, "web3_clientVersion")).result;
    assert.equal(version, "anvil/bytom2");
    // The helpers' own check (hardhat-network-helpers 3: a prefix of hardhat, zksync or anvil).
    assert.ok(["hardhat", "zksync", "anvil"].some((n) => version.toLowerCase().startsWith(n)));
  } finally {
    await other.stop();
  }
});
