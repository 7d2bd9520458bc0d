// Native UTXO transactions (EIP-2718 type 0x62) in JavaScript, written from
// docs/native-transactions.md with ethers v6 only: the envelope, the sighash, signing,
// asset ids and token addresses, the native gas formula, and builders for a transfer
// (coins from utxo_listUnspent, change, the exact fee from utxo_feeSchedule) and for
// "create an asset and issue it" / "issue more".
//
//   envelope   = 0x62 || rlp([chain_id, inputs, outputs, issuance, signatures])
//   sighash    = keccak256(0x62 || rlp([chain_id, inputs, outputs, issuance]))
//   hash       = keccak256(envelope)
//   inputs     = [[tx: bytes32, index: uint32], …]
//   outputs    = [[asset: bytes32, amount: uint256, owner: address], …]
//   issuance   = [] | [asset, amount] | [asset, amount, definition]
//   definition = [name, symbol, decimals, issuer, data]
//   signatures = [r(32) || s(32) || y_parity(1), …]
import { ethers } from "ethers";

/** The EIP-2718 type byte of native transactions ("b"). */
export const NATIVE_TX_TYPE = 0x62;
/** BTM is asset 0x00…00. */
export const BTM = ethers.ZeroHash;
/** The issuance precompile (IAssetIssuer). */
export const ASSET_ISSUER = "0x000000000000000000000000000000000000B701";
/** A 65-byte signature is a 67-byte RLP string (two-byte header). */
export const SIGNATURE_RLP_LEN = 67;

const TYPE_HEX = "0x62";

/** RLP integer: minimal big-endian bytes, zero is the empty string. */
function int(v) {
  return ethers.toBeArray(BigInt(v));
}

function bytes32(v) {
  const b = ethers.getBytes(v);
  if (b.length !== 32) throw new Error(`not 32 bytes: ${v}`);
  return b;
}

function address(v) {
  return ethers.getBytes(ethers.getAddress(v));
}

/** The RLP structure of an asset definition `[name, symbol, decimals, issuer, data]`. */
export function definitionFields(def) {
  return [
    ethers.toUtf8Bytes(def.name),
    ethers.toUtf8Bytes(def.symbol),
    int(def.decimals),
    address(def.issuer),
    ethers.getBytes(def.data ?? "0x"),
  ];
}

/** assetId = keccak256("bytom2/asset" || rlp(definition)). */
export function assetIdOf(def) {
  return ethers.keccak256(ethers.concat([ethers.toUtf8Bytes("bytom2/asset"), ethers.encodeRlp(definitionFields(def))]));
}

/** token = keccak256("bytom2/asset-token" || assetId)[12:], checksummed. */
export function tokenAddressOf(assetId) {
  const h = ethers.keccak256(ethers.concat([ethers.toUtf8Bytes("bytom2/asset-token"), bytes32(assetId)]));
  return ethers.getAddress(ethers.dataSlice(h, 12));
}

function issuanceFields(issuance) {
  if (!issuance) return [];
  const f = [bytes32(issuance.asset), int(issuance.amount)];
  if (issuance.definition) f.push(definitionFields(issuance.definition));
  return f;
}

/**
 * The unsigned fields `[chain_id, inputs, outputs, issuance]` of
 * tx = { chainId, inputs: [{tx, index}], outputs: [{asset, amount, owner}], issuance? }.
 */
export function unsignedFields(tx) {
  return [
    int(tx.chainId),
    tx.inputs.map((i) => [bytes32(i.tx), int(i.index)]),
    tx.outputs.map((o) => [bytes32(o.asset), int(o.amount), address(o.owner)]),
    issuanceFields(tx.issuance),
  ];
}

/** keccak256(0x62 || rlp([chain_id, inputs, outputs, issuance])). */
export function sighash(tx) {
  return ethers.keccak256(ethers.concat([TYPE_HEX, ethers.encodeRlp(unsignedFields(tx))]));
}

/** 0x62 || rlp([chain_id, inputs, outputs, issuance, signatures]); signatures are 65-byte hex strings. */
export function encodeEnvelope(tx, signatures) {
  for (const s of signatures) if (ethers.dataLength(s) !== 65) throw new Error("a signature is 65 bytes");
  return ethers.concat([TYPE_HEX, ethers.encodeRlp([...unsignedFields(tx), signatures])]);
}

/** Length in bytes of the envelope with `count` signatures (what native gas charges per byte). */
export function envelopeSize(tx, count) {
  return ethers.dataLength(encodeEnvelope(tx, Array(count).fill("0x" + "00".repeat(65))));
}

/** r || s || y_parity (0/1) of an ethers Signature. */
export function signatureBytes(sig) {
  return ethers.concat([sig.r, sig.s, sig.yParity ? "0x01" : "0x00"]);
}

/**
 * The signers in order: owners of the inputs in order of first appearance, then the issuer
 * if the transaction issues and the issuer owns none of the inputs.
 */
export function signersOf(inputOwners, issuer) {
  const out = [];
  for (const o of inputOwners.map((a) => ethers.getAddress(a))) if (!out.includes(o)) out.push(o);
  if (issuer && !out.includes(ethers.getAddress(issuer))) out.push(ethers.getAddress(issuer));
  return out;
}

/**
 * Signs `tx` with `keys` (private keys or SigningKeys, one per signer, in signer order).
 * Returns { raw, hash, sighash, size, signatures }.
 */
export function signNative(tx, keys) {
  const digest = sighash(tx);
  const signatures = keys.map((k) => {
    const key = k instanceof ethers.SigningKey ? k : new ethers.SigningKey(k);
    return signatureBytes(key.sign(digest));
  });
  const raw = encodeEnvelope(tx, signatures);
  return { raw, hash: ethers.keccak256(raw), sighash: digest, size: ethers.dataLength(raw), signatures };
}

/** Decodes an envelope back into { chainId, inputs, outputs, issuance, signatures } (bigints for amounts). */
export function decodeNative(raw) {
  const bytes = ethers.getBytes(raw);
  if (bytes[0] !== NATIVE_TX_TYPE) throw new Error(`type ${bytes[0]} is not 0x62`);
  const [chainId, inputs, outputs, issuance, signatures] = ethers.decodeRlp(bytes.slice(1));
  const big = (h) => (h === "0x" ? 0n : BigInt(h));
  let iss = null;
  if (issuance.length) {
    iss = { asset: issuance[0], amount: big(issuance[1]) };
    if (issuance[2]) {
      const [name, symbol, decimals, issuer, data] = issuance[2];
      iss.definition = {
        name: ethers.toUtf8String(name),
        symbol: ethers.toUtf8String(symbol),
        decimals: Number(big(decimals)),
        issuer: ethers.getAddress(issuer),
        data,
      };
    }
  }
  return {
    chainId: big(chainId),
    inputs: inputs.map(([tx, index]) => ({ tx, index: Number(big(index)) })),
    outputs: outputs.map(([asset, amount, owner]) => ({ asset, amount: big(amount), owner: ethers.getAddress(owner) })),
    issuance: iss,
    signatures,
  };
}

/** Parses utxo_feeSchedule's hex quantities into bigints. */
export function parseSchedule(s) {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, BigInt(v)]));
}

/** native_gas = base + inputs × perInput + outputs × perOutput + bytes × perByte (+ issuance). */
export function nativeGas(schedule, { inputs, outputs, bytes, issuance }) {
  return (
    schedule.base +
    BigInt(inputs) * schedule.perInput +
    BigInt(outputs) * schedule.perOutput +
    BigInt(bytes) * schedule.perByte +
    (issuance ? schedule.issuance : 0n)
  );
}

/** One JSON-RPC call; throws an Error with the node's message on an error response. */
export async function call(url, method, params = []) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = await res.json();
  if (body.error) {
    const e = new Error(body.error.message);
    e.code = body.error.code;
    e.data = body.error.data;
    e.rpc = { method, params, error: body.error };
    throw e;
  }
  return body.result;
}

export async function feeSchedule(url) {
  return parseSchedule(await call(url, "utxo_feeSchedule"));
}

/** utxo_listUnspent(address, asset) with amounts as bigints and indexes as numbers. */
export async function listUnspent(url, owner, asset = null, block) {
  const params = block === undefined ? [owner, asset] : [owner, asset, block];
  const coins = await call(url, "utxo_listUnspent", params);
  return coins.map((c) => ({ ...c, index: Number(BigInt(c.index)), amount: BigInt(c.amount) }));
}

export function sumCoins(coins) {
  return coins.reduce((a, c) => a + c.amount, 0n);
}

/**
 * Builds and signs a native transaction paid for by `key`'s coins.
 *
 * payments: [{ asset, amount, to }] outputs to create (any asset; `{ asset, amount, burn:
 * true }` spends the amount without an output, burning a non-BTM asset); issuance: optional
 * { asset, amount, definition? } (the issuer's signature comes from `issuerKey`, or `key`
 * when the issuer is the payer). Coins of each asset are taken oldest first from
 * `coins` (default: utxo_listUnspent of the payer), change goes back to the payer, and
 * the BTM fee is exactly `baseFeePerGas × native_gas` (the envelope size includes the
 * signatures). Options: feeDelta (added to the fee, e.g. -1n for a fee that is too
 * low), chainId, schedule (default utxo_feeSchedule).
 *
 * Returns { raw, hash, tx, fee, gas, size, spent, signers }.
 */
export async function buildNative(url, opts) {
  const wallet = new ethers.Wallet(opts.key);
  const payer = wallet.address;
  const chainId = BigInt(opts.chainId ?? (await call(url, "eth_chainId")));
  const schedule = opts.schedule ?? (await feeSchedule(url));
  const payments = opts.payments ?? [];
  const issuance = opts.issuance ?? null;
  const allCoins = opts.coins ?? (await listUnspent(url, payer));

  // What each asset needs from the payer's coins (issued units count as inputs).
  const need = new Map();
  for (const p of payments) {
    const a = p.asset.toLowerCase();
    if (!p.burn && !p.to) throw new Error("a payment needs `to` (or `burn: true`)");
    need.set(a, (need.get(a) ?? 0n) + BigInt(p.amount));
  }
  if (issuance) {
    const a = issuance.asset.toLowerCase();
    need.set(a, (need.get(a) ?? 0n) - BigInt(issuance.amount));
  }
  need.set(BTM, need.get(BTM) ?? 0n);

  const issuer = issuance ? issuance.definition?.issuer ?? opts.issuer ?? payer : null;
  const nonBtmInputs = [];
  const nonBtmChange = [];
  for (const [asset, amount] of need) {
    if (asset === BTM || amount <= 0n) continue;
    const coins = allCoins.filter((c) => c.asset.toLowerCase() === asset);
    let sum = 0n;
    const picked = [];
    for (const c of coins) {
      if (sum >= amount) break;
      picked.push(c);
      sum += c.amount;
    }
    if (sum < amount) throw new Error(`not enough of asset ${asset}: have ${sum}, need ${amount}`);
    nonBtmInputs.push(...picked);
    if (sum > amount) nonBtmChange.push({ asset, amount: sum - amount, owner: payer });
  }
  const btmCoins = allCoins.filter((c) => c.asset.toLowerCase() === BTM);
  const btmOut = need.get(BTM);
  const feeDelta = BigInt(opts.feeDelta ?? 0);

  const keyFor = (s) => {
    for (const k of [opts.key, opts.issuerKey, ...(opts.extraKeys ?? [])]) {
      if (k && new ethers.Wallet(k).address === s) return k;
    }
    throw new Error(`no key for signer ${s}`);
  };

  let fee = 0n;
  for (let round = 0; round < 20; round++) {
    // Enough BTM coins (oldest first) for the payments and the fee so far.
    const picked = [];
    let sum = 0n;
    for (const c of btmCoins) {
      if (sum >= btmOut + fee && picked.length) break;
      picked.push(c);
      sum += c.amount;
    }
    if (sum < btmOut + fee) throw new Error(`not enough BTM: have ${sum}, need ${btmOut + fee}`);
    const inputs = [...picked, ...nonBtmInputs];
    const outputs = payments.filter((p) => !p.burn).map((p) => ({ asset: p.asset, amount: BigInt(p.amount), owner: p.to }));
    outputs.push(...nonBtmChange);
    // Change below the dust limit is left to the fee.
    const change = sum - btmOut - fee;
    const changeOut = change > 0n && change >= schedule.minOutputAmount ? { asset: BTM, amount: change, owner: payer } : null;
    if (changeOut) outputs.push(changeOut);
    const tx = {
      chainId,
      inputs: inputs.map((c) => ({ tx: c.tx, index: c.index })),
      outputs,
      issuance: issuance ? { asset: issuance.asset, amount: BigInt(issuance.amount), definition: issuance.definition } : null,
    };
    const signers = signersOf(inputs.map((c) => c.owner), issuer);
    const size = envelopeSize(tx, signers.length);
    const gas = nativeGas(schedule, { inputs: tx.inputs.length, outputs: tx.outputs.length, bytes: size, issuance: !!issuance });
    const want = schedule.baseFeePerGas * gas;
    let paid = sum - btmOut - (changeOut ? change : 0n);
    if (paid < want) {
      fee = want;
      continue;
    }
    if (feeDelta !== 0n) {
      // A deliberately wrong fee (e.g. -1n: one wei too low), same size.
      if (!changeOut) throw new Error("feeDelta needs a BTM change output");
      changeOut.amount -= feeDelta;
      paid += feeDelta;
      if (envelopeSize(tx, signers.length) !== size) throw new Error("feeDelta changed the size");
    }
    const signed = signNative(tx, signers.map(keyFor));
    if (signed.size !== size) throw new Error(`size ${signed.size} != estimated ${size}`);
    return { ...signed, tx, fee: paid, gas, want, size, spent: inputs, signers };
  }
  throw new Error("fee did not converge");
}

/** A BTM (or other asset) transfer from `key` to `to`. */
export function buildTransfer(url, { key, to, amount, asset = BTM, ...rest }) {
  return buildNative(url, { key, payments: [{ asset, amount, to }], ...rest });
}

/**
 * Creates asset `definition` (issuer defaults to the payer) and issues `amount` to `to`
 * (default the payer) in one native transaction. Returns the build plus { assetId, token }.
 */
export async function buildCreateAsset(url, { key, definition, amount, to, ...rest }) {
  const payer = new ethers.Wallet(key).address;
  const def = { data: "0x", ...definition, issuer: definition.issuer ?? payer };
  const assetId = assetIdOf(def);
  const payments = BigInt(amount) > 0n ? [{ asset: assetId, amount, to: to ?? payer }] : [];
  const built = await buildNative(url, { key, payments, issuance: { asset: assetId, amount, definition: def }, ...rest });
  return { ...built, assetId, token: tokenAddressOf(assetId), definition: def };
}

/** Issues `amount` more of an existing asset (issuer = `issuer`, signed by issuerKey or key). */
export function buildIssue(url, { key, assetId, amount, to, issuer, ...rest }) {
  const payer = new ethers.Wallet(key).address;
  return buildNative(url, {
    key,
    payments: [{ asset: assetId, amount, to: to ?? payer }],
    issuance: { asset: assetId, amount },
    issuer: issuer ?? payer,
    ...rest,
  });
}

/** Polls eth_getTransactionReceipt until the transaction is mined. */
export async function waitReceipt(url, hash, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(url, "eth_getTransactionReceipt", [hash]);
    if (r) return r;
    if (Date.now() > end) throw new Error(`transaction ${hash} not mined in ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

const ERC20 = new ethers.Interface([
  "function balanceOf(address) view returns (uint256)",
  "function totalSupply() view returns (uint256)",
]);

/**
 * The ledger invariant at the head block: for every address in `addresses` (plus the
 * head's miner) and every asset of utxo_listAssets, the sum of utxo_listUnspent amounts
 * equals eth_getBalance (BTM) or the token's balanceOf (other assets), every coin is
 * the owner's and of that asset, utxo_getBalances agrees, and for every non-BTM asset
 * utxo_supply(asset).total equals totalSupply() and genesis + issued + rewards − burned.
 * Throws an AssertionError naming the first mismatch. Returns the head number checked.
 */
export async function checkLedger(url, addresses, label = "") {
  const assertEq = (a, b, what) => {
    if (a !== b) {
      const e = new Error(`ledger invariant ${label}: ${what}: ${a} != ${b}`);
      e.name = "AssertionError";
      throw e;
    }
  };
  for (let attempt = 0; ; attempt++) {
    const head = await call(url, "eth_blockNumber");
    const block = await call(url, "eth_getBlockByNumber", [head, false]);
    const addrs = [...new Set([...addresses, block.miner].map((a) => ethers.getAddress(a)))];
    const assets = await call(url, "utxo_listAssets");
    assertEq(assets[0].assetId, BTM, "utxo_listAssets starts with BTM");
    const jobs = [];
    for (const addr of addrs) {
      jobs.push(
        (async () => {
          const balances = await call(url, "utxo_getBalances", [addr, head]);
          const byAsset = new Map(balances.map((b) => [b.asset.toLowerCase(), BigInt(b.balance)]));
          for (const asset of assets) {
            const id = asset.assetId.toLowerCase();
            const coins = await listUnspent(url, addr, asset.assetId, head);
            for (const c of coins) {
              assertEq(ethers.getAddress(c.owner), addr, `owner of coin ${c.tx}:${c.index}`);
              assertEq(c.asset.toLowerCase(), id, `asset of coin ${c.tx}:${c.index}`);
            }
            const sum = sumCoins(coins);
            let bal;
            if (id === BTM) {
              bal = BigInt(await call(url, "eth_getBalance", [addr, head]));
            } else {
              const data = ERC20.encodeFunctionData("balanceOf", [addr]);
              bal = BigInt(await call(url, "eth_call", [{ to: asset.token, data }, head]));
            }
            assertEq(sum, bal, `${addr} ${asset.symbol} (${id}): utxo_listUnspent sum vs ${id === BTM ? "eth_getBalance" : "balanceOf"}`);
            assertEq(byAsset.get(id) ?? 0n, sum, `${addr} ${asset.symbol}: utxo_getBalances vs utxo_listUnspent`);
          }
        })(),
      );
    }
    for (const asset of assets.slice(1)) {
      jobs.push(
        (async () => {
          const s = await call(url, "utxo_supply", [asset.assetId]);
          const total = BigInt(s.total);
          assertEq(total, BigInt(s.genesis) + BigInt(s.issued) + BigInt(s.rewards) - BigInt(s.burned), `${asset.symbol} supply parts`);
          const data = ERC20.encodeFunctionData("totalSupply", []);
          const ts = BigInt(await call(url, "eth_call", [{ to: asset.token, data }, head]));
          assertEq(total, ts, `${asset.symbol}: utxo_supply total vs totalSupply()`);
        })(),
      );
    }
    let failure = null;
    await Promise.all(jobs.map((j) => j.catch((e) => (failure ??= e))));
    // The UTXO index keeps no history: a block mined meanwhile (interval mining) means
    // the reads may mix two blocks, or be refused for a past block: check again.
    const moved = (await call(url, "eth_blockNumber")) !== head;
    if (moved && attempt < 5) continue;
    if (failure) throw failure;
    return Number(BigInt(head));
  }
}
