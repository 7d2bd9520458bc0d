// The DeFi check: Uniswap V2 (the real v2-core 1.0.1 sources, compiled here with solc
// 0.5.16 like Uniswap did) trading two native assets. The pair holds native-asset
// outputs like any owner, so after every block the balances seen through
// utxo_listUnspent (trader, pair, liquidity provider) must equal the tokens' balanceOf
// and the amounts Uniswap's formulas give.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { ethers } from "ethers";
import { startNode, contracts, DEV_KEYS, CHAIN_ID } from "./helpers.mjs";
import * as N from "./native-tx.mjs";

const require = createRequire(import.meta.url);
const E18 = 10n ** 18n;

/** UniswapV2Factory and UniswapV2Pair from @uniswap/v2-core, solc 0.5.16, optimizer 999999 runs. */
function compileUniswap() {
  const solc = require("solc-0.5.16");
  const root = path.dirname(require.resolve("@uniswap/v2-core/package.json"));
  const sources = {};
  for (const f of ["UniswapV2Factory.sol", "UniswapV2Pair.sol"]) {
    sources[`contracts/${f}`] = { content: fs.readFileSync(path.join(root, "contracts", f), "utf8") };
  }
  const input = {
    language: "Solidity",
    sources,
    settings: {
      optimizer: { enabled: true, runs: 999999 },
      evmVersion: "istanbul",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  // Imports are relative to the package (contracts/interfaces/…, contracts/libraries/…).
  const findImports = (p) => {
    const file = path.join(root, p);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file)) return { error: `not found: ${p}` };
    return { contents: fs.readFileSync(file, "utf8") };
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), findImports));
  const errors = (out.errors || []).filter((e) => e.severity === "error");
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const pick = (file, name) => {
    const c = out.contracts[file][name];
    return { abi: c.abi, bytecode: "0x" + c.evm.bytecode.object };
  };
  return {
    version: solc.version(),
    Factory: pick("contracts/UniswapV2Factory.sol", "UniswapV2Factory"),
    Pair: pick("contracts/UniswapV2Pair.sol", "UniswapV2Pair"),
  };
}

/** UniswapV2Library.getAmountOut: the 0.3% fee formula. */
function getAmountOut(amountIn, reserveIn, reserveOut) {
  const inWithFee = amountIn * 997n;
  return (inWithFee * reserveOut) / (reserveIn * 1000n + inWithFee);
}

function sqrt(y) {
  if (y < 4n) return y === 0n ? 0n : 1n;
  let z = y;
  let x = y / 2n + 1n;
  while (x < z) {
    z = x;
    x = (y / x + x) / 2n;
  }
  return z;
}

let node;
let provider;
let uni;
let abi;

before(async () => {
  uni = compileUniswap();
  const c = contracts();
  abi = { token: c.NativeAsset.abi, issuer: c.IAssetIssuer.abi };
  node = await startNode();
  provider = new ethers.JsonRpcProvider(node.url, CHAIN_ID, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
});

after(async () => {
  provider?.destroy();
  await node?.stop();
});

test("compiles Uniswap V2 with solc 0.5.16", () => {
  assert.match(uni.version, /^0\.5\.16\+/);
  assert.ok(uni.Factory.bytecode.length > 1000);
  assert.ok(uni.Pair.bytecode.length > 1000);
});

test("Uniswap V2 pair of two native assets: add liquidity, swap, remove liquidity; the ledger agrees", async () => {
  const url = node.url;
  const lp = new ethers.Wallet(DEV_KEYS[0], provider);
  const trader = new ethers.Wallet(DEV_KEYS[1], provider);
  const watched = new Set([lp.address, trader.address]);
  const ledger = (label) => N.checkLedger(url, watched, label);
  const wait = async (p, label) => {
    const r = await (await p).wait();
    assert.equal(r.status, 1, label);
    await ledger(label);
    return r;
  };

  // Token A: created and issued through the precompile by the LP (ethers' default path:
  // a simulated call for the ids, eth_estimateGas, send).
  const issuer = new ethers.Contract(N.ASSET_ISSUER, abi.issuer, lp);
  const [idA, addrA] = await issuer.createAsset.staticCall("Token A", "TKA", 18, "0x");
  assert.equal(idA, N.assetIdOf({ name: "Token A", symbol: "TKA", decimals: 18, issuer: lp.address, data: "0x" }));
  assert.equal(addrA, N.tokenAddressOf(idA));
  await wait(issuer.createAsset("Token A", "TKA", 18, "0x"), "create A");
  await wait(issuer.issue(idA, lp.address, 1_000_000n * E18), "issue A to the LP");
  await wait(issuer.issue(idA, trader.address, 1_000n * E18), "issue A to the trader");
  // Token B: created and issued by a native transaction.
  const b = await N.buildCreateAsset(url, {
    key: DEV_KEYS[0],
    definition: { name: "Token B", symbol: "TKB", decimals: 18 },
    amount: 4_000_000n * E18,
  });
  await N.call(url, "eth_sendRawTransaction", [b.raw]);
  assert.equal((await N.waitReceipt(url, b.hash)).status, "0x1");
  await ledger("create and issue B");
  const idB = b.assetId;
  const addrB = b.token;
  watched.add(addrA).add(addrB);
  const A = new ethers.Contract(addrA, abi.token, lp);
  const B = new ethers.Contract(addrB, abi.token, lp);
  assert.equal(await A.symbol(), "TKA");
  assert.equal(await B.symbol(), "TKB");

  // Factory and pair.
  const factory = await new ethers.ContractFactory(uni.Factory.abi, uni.Factory.bytecode, lp).deploy(lp.address);
  await factory.waitForDeployment();
  const factoryAddr = await factory.getAddress();
  watched.add(factoryAddr);
  const rc = await wait(factory.createPair(addrA, addrB), "createPair");
  const created = rc.logs.map((l) => factory.interface.parseLog(l)).find((e) => e?.name === "PairCreated");
  const pairAddr = created.args.pair;
  assert.equal(await factory.getPair(addrA, addrB), pairAddr);
  const [token0, token1] = BigInt(addrA) < BigInt(addrB) ? [addrA, addrB] : [addrB, addrA];
  assert.equal(created.args.token0, token0);
  assert.equal(
    pairAddr,
    ethers.getCreate2Address(factoryAddr, ethers.solidityPackedKeccak256(["address", "address"], [token0, token1]), ethers.keccak256(uni.Pair.bytecode)),
  );
  watched.add(pairAddr);
  const pair = new ethers.Contract(pairAddr, uni.Pair.abi, lp);
  assert.equal(await pair.token0(), token0);
  const aIs0 = token0 === addrA;
  const reservesAB = async () => {
    const [r0, r1] = await pair.getReserves();
    return aIs0 ? [r0, r1] : [r1, r0];
  };
  const utxo = async (owner, asset) => N.sumCoins(await N.listUnspent(url, owner, asset));

  // Add liquidity: both tokens to the pair, then mint.
  const amountA = 10_000n * E18;
  const amountB = 40_000n * E18;
  await wait(A.transfer(pairAddr, amountA), "A to the pair");
  await wait(B.transfer(pairAddr, amountB), "B to the pair");
  assert.equal(await utxo(pairAddr, idA), amountA, "the pair owns A outputs");
  assert.equal(await utxo(pairAddr, idB), amountB, "the pair owns B outputs");
  // Explicit gas limits for the pair's mint/swap/burn: their gas depends on block.timestamp
  // (the TWAP accumulators), so an estimate made in the second before the block is mined
  // can fall short (on any chain); the last test checks the estimate itself.
  const PAIR_GAS = { gasLimit: 500000n };
  await wait(pair.mint(lp.address, PAIR_GAS), "mint");
  const liquidity = sqrt(amountA * amountB) - 1000n;
  assert.equal(await pair.balanceOf(lp.address), liquidity, "LP tokens = sqrt(a*b) - MINIMUM_LIQUIDITY");
  assert.equal(await pair.totalSupply(), liquidity + 1000n);
  assert.equal(await pair.balanceOf(ethers.ZeroAddress), 1000n);
  assert.deepEqual(await reservesAB(), [amountA, amountB]);
  assert.equal(await utxo(lp.address, idA), 1_000_000n * E18 - amountA);
  assert.equal(await utxo(lp.address, idB), 4_000_000n * E18 - amountB);

  // Swap 100 A for B: A in, then swap() with the amount the 0.3% fee formula gives.
  const amountIn = 100n * E18;
  const [rA, rB] = await reservesAB();
  const amountOut = getAmountOut(amountIn, rA, rB);
  assert.ok(amountOut > 0n);
  const T = { A: A.connect(trader), pair: pair.connect(trader) };
  await wait(T.A.transfer(pairAddr, amountIn), "trader A in");
  const [out0, out1] = aIs0 ? [0n, amountOut] : [amountOut, 0n];
  // One wei more than the formula allows breaks K.
  await assert.rejects(T.pair.swap.staticCall(aIs0 ? 0n : amountOut + 1n, aIs0 ? amountOut + 1n : 0n, trader.address, "0x"), (e) => {
    assert.equal(e.reason, "UniswapV2: K");
    return true;
  });
  const sw = await wait(T.pair.swap(out0, out1, trader.address, "0x", PAIR_GAS), "swap");
  const swapEvent = sw.logs.filter((l) => l.address === pairAddr).map((l) => pair.interface.parseLog(l)).find((e) => e?.name === "Swap");
  assert.ok(swapEvent, "Swap event");
  assert.equal(aIs0 ? swapEvent.args.amount0In : swapEvent.args.amount1In, amountIn);
  assert.equal(aIs0 ? swapEvent.args.amount1Out : swapEvent.args.amount0Out, amountOut);
  const bTransfer = sw.logs.filter((l) => l.address === addrB).map((l) => B.interface.parseLog(l)).find((e) => e?.name === "Transfer");
  assert.equal(bTransfer.args.from, pairAddr);
  assert.equal(bTransfer.args.to, trader.address);
  assert.equal(bTransfer.args.value, amountOut);

  assert.deepEqual(await reservesAB(), [amountA + amountIn, amountB - amountOut]);
  assert.equal(await utxo(trader.address, idA), 1_000n * E18 - amountIn);
  assert.equal(await utxo(trader.address, idB), amountOut);
  assert.equal(await B.balanceOf(trader.address), amountOut);
  assert.equal(await utxo(pairAddr, idA), amountA + amountIn);
  assert.equal(await utxo(pairAddr, idB), amountB - amountOut);
  assert.equal(await A.balanceOf(pairAddr), amountA + amountIn);
  assert.equal(await B.balanceOf(pairAddr), amountB - amountOut);

  // Remove half the liquidity: LP tokens to the pair, burn; the LP gets its share of both.
  const half = liquidity / 2n;
  await wait(pair.transfer(pairAddr, half), "LP tokens to the pair");
  const supply = await pair.totalSupply();
  const [balA, balB] = [amountA + amountIn, amountB - amountOut];
  const outA = (half * balA) / supply;
  const outB = (half * balB) / supply;
  const lpA = await utxo(lp.address, idA);
  const lpB = await utxo(lp.address, idB);
  await wait(pair.burn(lp.address, PAIR_GAS), "burn");
  assert.equal(await pair.balanceOf(lp.address), liquidity - half);
  assert.equal(await utxo(lp.address, idA), lpA + outA);
  assert.equal(await utxo(lp.address, idB), lpB + outB);
  assert.equal(await utxo(pairAddr, idA), balA - outA);
  assert.equal(await utxo(pairAddr, idB), balB - outB);
  assert.deepEqual(await reservesAB(), [balA - outA, balB - outB]);

  // The supplies are untouched by all this trading.
  assert.equal(await A.totalSupply(), 1_001_000n * E18);
  assert.equal(await B.totalSupply(), 4_000_000n * E18);
  assert.equal(BigInt((await N.call(url, "utxo_supply", [idA])).total), 1_001_000n * E18);
  assert.equal(BigInt((await N.call(url, "utxo_supply", [idB])).total), 4_000_000n * E18);
  deployed = { pair, lp };
});

let deployed;

test("eth_estimateGas prices the next block: a pair's sync() after an idle second", async () => {
  assert.ok(deployed, "needs the pair");
  const { pair } = deployed;
  // sync() at t0 stores blockTimestampLast = t0.
  assert.equal((await (await pair.sync({ gasLimit: 200000n })).wait()).status, 1);
  // An idle second: the next block's timestamp is later than the latest block's, so the
  // next sync() also updates price0CumulativeLast/price1CumulativeLast (two SSTOREs).
  await new Promise((r) => setTimeout(r, 1100));
  const estimate = await pair.sync.estimateGas();
  const receipt = await (await pair.sync({ gasLimit: estimate })).wait().catch((e) => e.receipt);
  assert.equal(receipt.status, 1, `sync() with eth_estimateGas's ${estimate} ran out of gas: used ${receipt.gasUsed}`);
});
