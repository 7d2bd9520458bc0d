// bytom2 block explorer: hash-routed pages over the node's JSON-RPC on this origin
// (docs/explorer.md). No framework and no build step. Every value from the node goes
// into the DOM as text (createTextNode / textContent), never as HTML.
"use strict";

/** The node answers JSON-RPC on the path that serves this page. */
const RPC_PATH = "/";
/** Blocks listed on the home page. */
const HOME_BLOCKS = 20;
/** How often the head is polled (ms). */
const POLL_MS = 2000;
/** A coin's `txIndex` when the block's settlement created it. */
const SETTLEMENT_TX_INDEX = 0xffffffffn;
const BTM_ID = "0x" + "0".repeat(64);
const TX_TYPES = new Map([
  [0x0, "Legacy"],
  [0x1, "EIP-2930"],
  [0x2, "EIP-1559"],
  [0x3, "EIP-4844"],
  [0x4, "EIP-7702"],
  [0x62, "Native UTXO"],
]);

// ---------------------------------------------------------------------------
// JSON-RPC

/** An error answer of the node (`code`, `message`, `data`). */
class RpcError extends Error {
  constructor(err) {
    super(String(err && err.message ? err.message : "unknown error"));
    this.code = err ? err.code : undefined;
    this.data = err ? err.data : undefined;
  }
}

/** The node could not be reached or answered something that is not JSON-RPC. */
class NetworkError extends Error {}

let nextId = 1;

/**
 * Sends `calls` ([method, params] pairs) in one request (a batch when there are
 * several). Each entry of the result is the method's result or an RpcError.
 */
async function batch(calls) {
  if (calls.length === 0) return [];
  const requests = calls.map(([method, params]) => ({ jsonrpc: "2.0", id: nextId++, method, params }));
  let response;
  try {
    response = await fetch(RPC_PATH, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(requests.length === 1 ? requests[0] : requests),
      cache: "no-store",
    });
  } catch (e) {
    throw new NetworkError(`cannot reach the node (${e.message})`);
  }
  let json;
  try {
    json = await response.json();
  } catch {
    throw new NetworkError(`the node answered HTTP ${response.status} without JSON`);
  }
  const answers = Array.isArray(json) ? json : [json];
  if (requests.length > 1 && !Array.isArray(json) && json && json.error) throw new RpcError(json.error);
  const byId = new Map(answers.filter((a) => a && typeof a === "object").map((a) => [a.id, a]));
  return requests.map((r) => {
    const a = byId.get(r.id);
    if (!a) return new RpcError({ message: `no answer to ${r.method}` });
    return a.error ? new RpcError(a.error) : a.result;
  });
}

/** `v`, or throws it when it is an error. */
function ok(v) {
  if (v instanceof Error) throw v;
  return v;
}

/** One call; throws on an error answer. */
async function call(method, ...params) {
  return ok((await batch([[method, params]]))[0]);
}

/** Several calls in one batch; throws on the first error answer. */
async function all(calls) {
  return (await batch(calls)).map(ok);
}

// ---------------------------------------------------------------------------
// Formatting

const big = (hex) => BigInt(hex);
const num = (hex) => Number(BigInt(hex));
const toHex = (n) => "0x" + BigInt(n).toString(16);

/** `value` (base units) with `decimals` decimals: "12,345.678". */
function units(value, decimals = 18) {
  const v = BigInt(value);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const base = 10n ** BigInt(decimals);
  const whole = (abs / base).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const frac = decimals > 0 ? (abs % base).toString().padStart(decimals, "0").replace(/0+$/, "") : "";
  return (neg ? "-" : "") + whole + (frac ? "." + frac : "");
}

const btm = (wei) => `${units(wei)} BTM`;
const gwei = (wei) => `${units(wei, 9)} gwei`;
const integer = (hex) => units(big(hex), 0);

/** "12 s ago", "3 min ago", … for a Unix time in seconds. */
function age(ts) {
  if (!ts) return "—";
  const s = Math.max(0, Math.floor(Date.now() / 1000) - ts);
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

const date = (ts) => (ts ? new Date(ts * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC") : "—");
const short = (hex) => (hex && hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : String(hex));
const typeName = (type) => {
  const n = num(type ?? "0x0");
  return `${toHex(n)} ${TX_TYPES.get(n) ?? "unknown"}`;
};

const isHash = (s) => /^0x[0-9a-fA-F]{64}$/.test(s);
const isAddress = (s) => /^0x[0-9a-fA-F]{40}$/.test(s);

// ---------------------------------------------------------------------------
// DOM (text only)

/** An element with attributes and children (strings become text nodes). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A link to an explorer page (`parts` are encoded). */
function link(parts, text, title) {
  const href = "#/" + parts.map((p) => encodeURIComponent(String(p))).join("/");
  return h("a", { href, title, class: "mono" }, text);
}

const blockLink = (n) => link(["block", num(n)], integer(n));
const txLink = (hash, full) => link(["tx", hash], full ? hash : short(hash), hash);
const addrLink = (a, full) => (a ? link(["address", a], full ? a : short(a), a) : h("span", { class: "muted" }, "—"));
const mono = (text, title) => h("span", { class: "mono", title }, text);

/** A definition list of [label, value] rows (rows with a null value are left out). */
function fields(rows) {
  return h("dl", { class: "fields" }, rows.filter((r) => r && r[1] !== null && r[1] !== undefined).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

/** A table; `columns` are labels (">label" aligns right), `rows` arrays of cells. */
function table(columns, rows, attrs = {}) {
  const cls = (c) => (c.startsWith(">") ? "num" : null);
  return h(
    "table",
    attrs,
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: cls(c) }, c.replace(/^>/, ""))))),
    h("tbody", {}, rows.map((r) => (r instanceof Node ? r : h("tr", {}, r.map((cell, i) => h("td", { class: cls(columns[i]) }, cell)))))),
  );
}

const section = (title, ...body) => h("section", {}, h("h2", {}, title), body);
const empty = (text) => h("p", { class: "muted" }, text);
const badge = (cls, text) => h("span", { class: `badge ${cls}` }, text);

function notFound(message) {
  return h("div", { class: "notfound", role: "status", id: "not-found" }, h("b", {}, "Not found. "), message);
}

function errorBox(e) {
  const title =
    e instanceof NetworkError ? "Cannot reach the node." : e instanceof RpcError ? "The node answered with an error:" : "Something went wrong:";
  const code = e instanceof RpcError && e.code !== undefined ? ` (code ${e.code})` : "";
  return h("div", { class: "error", role: "alert" }, h("b", {}, title), " ", String(e.message) + code);
}

/** A section body: the node's error for that part, else `render(value)`. */
const orError = (value, render) => (value instanceof Error ? errorBox(value) : render(value));

// ---------------------------------------------------------------------------
// Assets (names, symbols, decimals), cached

const assets = new Map([[BTM_ID, { assetId: BTM_ID, name: "BTM", symbol: "BTM", decimals: 18 }]]);

/** Loads the assets of `ids` that are not cached yet (one batch). */
async function loadAssets(ids) {
  const missing = [...new Set(ids.map((id) => id.toLowerCase()))].filter((id) => !assets.has(id));
  const found = await batch(missing.map((id) => ["utxo_getAsset", [id]]));
  missing.forEach((id, i) => {
    const a = found[i];
    if (a && !(a instanceof Error)) assets.set(id, a);
  });
}

const assetOf = (id) => assets.get(id.toLowerCase()) ?? { assetId: id, name: "", symbol: short(id), decimals: 0 };
const amount = (id, value) => `${units(big(value), assetOf(id).decimals)} ${assetOf(id).symbol}`;

/** Where a coin was created: a transaction, a block's settlement or genesis. */
function origin(coin) {
  if (coin.blockNumber === undefined) return txLink(coin.tx);
  if (big(coin.blockNumber) === 0n) return h("span", {}, "genesis ", blockLink(coin.blockNumber));
  if (big(coin.txIndex) === SETTLEMENT_TX_INDEX) return h("span", {}, "settlement of ", blockLink(coin.blockNumber));
  return h("span", {}, txLink(coin.tx), " in ", blockLink(coin.blockNumber));
}

/** A table of coins (outputs): outpoint, owner, asset, amount, origin. */
function coinTable(coins, id) {
  if (!coins.length) return empty("None.");
  return table(
    ["Outpoint", "Owner", "Asset", ">Amount", "Created by"],
    coins.map((c) => [
      mono(`${short(c.tx)}:${num(c.index)}`, `${c.tx}:${num(c.index)}`),
      c.owner ? addrLink(c.owner) : "—",
      c.asset ? mono(assetOf(c.asset).symbol, c.asset) : "—",
      c.amount ? h("span", { class: "nowrap" }, amount(c.asset, c.amount)) : "—",
      origin(c),
    ]),
    { id },
  );
}

// ---------------------------------------------------------------------------
// Pages

/** The head as the poller last saw it, and the head the home page shows. */
const state = { head: null, homeHead: null };

async function homePage() {
  const head = await call("eth_blockNumber");
  const n = num(head);
  const count = Math.min(HOME_BLOCKS, n + 1);
  const calls = [["eth_gasPrice", []], ["utxo_supply", []]];
  for (let i = 0; i < count; i++) calls.push(["eth_getBlockByNumber", [toHex(n - i), false]]);
  const [gasPrice, supply, ...blocks] = await batch(calls);
  state.homeHead = n;
  const latest = blocks[0] instanceof Error || !blocks[0] ? null : blocks[0];
  const stat = (label, value, id) => h("div", { class: "stat" }, h("div", { class: "label" }, label), h("div", { class: "value", id }, value));
  const rows = blocks.map((b) => {
    if (b instanceof Error || !b) return h("tr", {}, h("td", { colspan: 5 }, b ? errorBox(b) : "missing block"));
    const ts = num(b.timestamp);
    const used = big(b.gasUsed);
    const limit = big(b.gasLimit);
    const pct = limit > 0n ? ` (${Number((used * 10000n) / limit) / 100}%)` : "";
    return h(
      "tr",
      { "data-number": num(b.number) },
      h("td", {}, blockLink(b.number)),
      h("td", {}, link(["block", b.hash], short(b.hash), b.hash)),
      h("td", { "data-ts": ts, class: "nowrap", title: date(ts) }, age(ts)),
      h("td", { class: "num" }, String(b.transactions.length)),
      h("td", { class: "num nowrap" }, integer(b.gasUsed) + pct),
    );
  });
  return [
    h(
      "div",
      { class: "stats" },
      stat("Latest block", integer(head), "home-latest"),
      stat("Base fee", latest && latest.baseFeePerGas ? gwei(latest.baseFeePerGas) : "—"),
      stat("Gas price", gasPrice instanceof Error ? "—" : gwei(gasPrice)),
      stat("BTM supply", supply instanceof Error ? "—" : btm(supply.total)),
    ),
    section("Latest blocks", table(["Block", "Hash", "Age", ">Transactions", ">Gas used"], rows, { id: "blocks" })),
  ];
}

/** `arg` as a block id: { method, id } or null. */
function parseBlockArg(arg) {
  if (isHash(arg)) return { method: "eth_getBlockByHash", id: arg };
  if (/^\d+$/.test(arg)) return { method: "eth_getBlockByNumber", id: toHex(arg) };
  if (/^0x[0-9a-fA-F]{1,16}$/.test(arg)) return { method: "eth_getBlockByNumber", id: toHex(arg) };
  if (["latest", "finalized", "safe", "earliest"].includes(arg)) return { method: "eth_getBlockByNumber", id: arg };
  return null;
}

async function blockPage(arg) {
  const q = parseBlockArg(arg);
  if (!q) return notFound(`“${arg}” is not a block number or hash.`);
  const b = await call(q.method, q.id, true);
  if (!b) return notFound(`There is no block ${arg}` + (state.head !== null && /^\d+$/.test(arg) ? ` (the latest is ${state.head}).` : "."));
  const [receipts, settlement] = await batch([
    ["eth_getBlockReceipts", [b.number]],
    ["utxo_getBlockSettlement", [b.number]],
  ]);
  if (settlement && !(settlement instanceof Error)) await loadAssets([...settlement.spent, ...settlement.created].map((c) => c.asset));
  const n = num(b.number);
  const ts = num(b.timestamp);
  const status = (i) => {
    const r = Array.isArray(receipts) ? receipts[i] : null;
    if (!r) return "—";
    return big(r.status) === 1n ? badge("ok", "success") : badge("bad", "failed");
  };
  const txRows = b.transactions.map((t, i) => [
    String(i),
    txLink(t.hash),
    badge("type", typeName(t.type)),
    addrLink(t.from),
    t.to ? addrLink(t.to) : h("span", { class: "muted" }, "contract creation"),
    h("span", { class: "nowrap" }, btm(t.value)),
    status(i),
  ]);
  return [
    h("h1", {}, `Block ${integer(b.number)} `, h("small", {}, date(ts))),
    h(
      "nav",
      { class: "pager" },
      n > 0 ? link(["block", n - 1], "← previous") : null,
      state.head === null || n < state.head ? link(["block", n + 1], "next →") : null,
    ),
    section(
      "Header",
      fields([
        ["Number", integer(b.number)],
        ["Hash", mono(b.hash)],
        ["Parent", n > 0 ? link(["block", b.parentHash], b.parentHash) : mono(b.parentHash)],
        ["Time", h("span", {}, date(ts), " (", h("span", { "data-ts": ts }, age(ts)), ")")],
        ["Transactions", String(b.transactions.length)],
        ["Proposer (miner)", addrLink(b.miner, true)],
        ["Gas used", `${integer(b.gasUsed)} of ${integer(b.gasLimit)}`],
        ["Base fee", b.baseFeePerGas ? gwei(b.baseFeePerGas) : null],
        ["State root", mono(b.stateRoot)],
        ["Transactions root", mono(b.transactionsRoot)],
        ["Receipts root", mono(b.receiptsRoot)],
        ["Randomness (mixHash)", mono(b.mixHash)],
        ["Extra data", mono(b.extraData)],
        ["Size", b.size ? `${integer(b.size)} bytes` : null],
      ]),
    ),
    section(
      "Transactions",
      txRows.length ? table(["#", "Hash", "Type", "From", "To", "Value", "Status"], txRows, { id: "block-txs" }) : empty("No transactions."),
    ),
    section(
      "Settlement",
      orError(settlement, (s) =>
        s
          ? [
              h(
                "p",
                { class: "muted" },
                "At the end of the block each address's net change in each asset settles into outputs: a gain creates one output, " +
                  "a loss spends the oldest outputs and creates one for the change. Settlement id ",
                mono(s.id),
                ".",
              ),
              h("h3", {}, "Spent"),
              coinTable(s.spent, "settlement-spent"),
              h("h3", {}, "Created"),
              coinTable(s.created, "settlement-created"),
            ]
          : empty("No settlement recorded."),
      ),
    ),
  ];
}

function logsTable(logs) {
  if (!logs.length) return empty("No logs.");
  return table(
    ["#", "Address", "Topics", "Data"],
    logs.map((l) => [
      l.logIndex ? integer(l.logIndex) : "—",
      addrLink(l.address),
      h("pre", {}, (l.topics || []).join("\n")),
      h("pre", {}, l.data),
    ]),
    { id: "logs" },
  );
}

/** The UTXO view of a transaction: what utxo_getTransaction returned. */
async function utxoSection(t, u) {
  if (u instanceof Error) return section("UTXO inputs and outputs", errorBox(u));
  if (u) {
    const coins = [...u.inputs, ...u.outputs].filter((c) => c.asset).map((c) => c.asset);
    if (u.issuance) coins.push(u.issuance.assetId);
    await loadAssets(coins);
    const issuance = u.issuance
      ? fields([
          ["Asset", h("span", {}, `${assetOf(u.issuance.assetId).name} (${assetOf(u.issuance.assetId).symbol}) `, mono(u.issuance.assetId))],
          ["Amount issued", amount(u.issuance.assetId, u.issuance.amount)],
          ["New asset", u.issuance.definition ? `yes: decimals ${u.issuance.definition.decimals}, issuer ${u.issuance.definition.issuer}` : "no (more of an existing asset)"],
        ])
      : null;
    return section(
      "UTXO inputs and outputs",
      fields([
        ["Signers", h("span", {}, u.signers.map((s, i) => [i ? ", " : "", addrLink(s, true)]))],
        ["Fee", u.fee ? btm(u.fee) : null],
        ["Native gas", u.gasUsed ? integer(u.gasUsed) : null],
      ]),
      h("h3", {}, `Inputs (${u.inputs.length})`),
      coinTable(u.inputs, "utxo-inputs"),
      h("h3", {}, `Outputs (${u.outputs.length})`),
      coinTable(u.outputs, "utxo-outputs"),
      issuance ? [h("h3", {}, "Issuance"), issuance] : null,
    );
  }
  const note = h(
    "p",
    { class: "muted", id: "utxo-note" },
    "utxo_getTransaction returns null for this transaction: an Ethereum transaction spends and creates no outputs itself. " +
      "Its value transfers, gas payment and refund change balances that settle into outputs at the end of its block.",
  );
  if (t.blockNumber === null || t.blockNumber === undefined) return section("UTXO inputs and outputs", note);
  const s = await call("utxo_getBlockSettlement", t.blockNumber).catch((e) => e);
  if (s instanceof Error || !s) return section("UTXO inputs and outputs", note, s ? errorBox(s) : null);
  const mine = (c) => [t.from, t.to].some((a) => a && a.toLowerCase() === c.owner.toLowerCase());
  const spent = s.spent.filter(mine);
  const created = s.created.filter(mine);
  await loadAssets([...spent, ...created].map((c) => c.asset));
  return section(
    "UTXO inputs and outputs",
    note,
    h("p", {}, "Settlement of ", blockLink(t.blockNumber), " for its sender and recipient (the net change of the whole block):"),
    h("h3", {}, "Spent"),
    coinTable(spent, "settlement-spent"),
    h("h3", {}, "Created"),
    coinTable(created, "settlement-created"),
  );
}

async function txPage(hash) {
  if (!isHash(hash)) return notFound(`“${hash}” is not a transaction hash.`);
  const [t, r, u] = await batch([
    ["eth_getTransactionByHash", [hash]],
    ["eth_getTransactionReceipt", [hash]],
    ["utxo_getTransaction", [hash]],
  ]);
  if (!ok(t)) return notFound(`There is no transaction ${hash}.`);
  const pending = t.blockNumber === null || t.blockNumber === undefined;
  const receipt = r instanceof Error || !r ? null : r;
  const native = num(t.type ?? "0x0") === 0x62;
  let status = badge("pending", "pending");
  if (!pending) status = receipt ? (big(receipt.status) === 1n ? badge("ok", "success") : badge("bad", "failed")) : "—";
  let fee = null;
  if (native && u && !(u instanceof Error) && u.fee) fee = btm(u.fee);
  else if (receipt) fee = btm(big(receipt.gasUsed) * big(receipt.effectiveGasPrice));
  const created = receipt && receipt.contractAddress ? receipt.contractAddress : null;
  const input = t.input && t.input !== "0x" ? h("pre", {}, t.input) : null;
  return [
    h("h1", {}, "Transaction ", h("small", { class: "mono" }, hash)),
    section(
      "Overview",
      fields([
        ["Hash", mono(t.hash)],
        ["Status", h("span", { id: "tx-status" }, status)],
        ["Block", pending ? h("span", { class: "muted" }, "pending (in the mempool)") : h("span", {}, blockLink(t.blockNumber), ` (index ${integer(t.transactionIndex)})`)],
        ["Type", typeName(t.type)],
        ["From", h("span", { id: "tx-from" }, addrLink(t.from, true))],
        ["To", h("span", { id: "tx-to" }, t.to ? addrLink(t.to, true) : created ? ["contract creation: ", addrLink(created, true)] : "contract creation")],
        ["Value", btm(t.value)],
        ["Fee", fee],
        ["Nonce", native ? null : integer(t.nonce)],
        ["Gas limit", integer(t.gas)],
        ["Gas used", receipt ? integer(receipt.gasUsed) : null],
        ["Effective gas price", receipt ? gwei(receipt.effectiveGasPrice) : null],
        ["Max fee per gas", t.maxFeePerGas ? gwei(t.maxFeePerGas) : null],
        ["Max priority fee", t.maxPriorityFeePerGas ? gwei(t.maxPriorityFeePerGas) : null],
        ["Input data", input],
      ]),
    ),
    section(
      "Receipt logs",
      pending ? empty("Not mined yet.") : r instanceof Error ? errorBox(r) : receipt ? logsTable(receipt.logs || []) : empty("No receipt."),
    ),
    await utxoSection(t, u),
  ];
}

async function addressPage(addr) {
  if (!isAddress(addr)) return notFound(`“${addr}” is not an address.`);
  const [balance, nonce, code, coins, balances] = await batch([
    ["eth_getBalance", [addr, "latest"]],
    ["eth_getTransactionCount", [addr, "latest"]],
    ["eth_getCode", [addr, "latest"]],
    ["utxo_listUnspent", [addr]],
    ["utxo_getBalances", [addr]],
  ]);
  const ids = [];
  if (Array.isArray(coins)) ids.push(...coins.map((c) => c.asset));
  if (Array.isArray(balances)) ids.push(...balances.map((b) => b.asset));
  await loadAssets(ids);
  const codeSize = typeof code === "string" ? (code.length - 2) / 2 : null;
  return [
    h("h1", {}, "Address ", h("small", { class: "mono" }, addr)),
    section(
      "Overview",
      fields([
        ["BTM balance", h("span", { id: "addr-balance" }, orError(balance, btm))],
        ["Nonce", orError(nonce, integer)],
        ["Kind", codeSize === null ? orError(code, String) : codeSize > 0 ? `contract (${codeSize} bytes of code)` : "account (no code)"],
        ["Unspent outputs", Array.isArray(coins) ? String(coins.length) : null],
      ]),
    ),
    section(
      "Assets",
      orError(balances, (list) =>
        list.length
          ? table(
              ["Asset", "Symbol", "Asset id", "ERC-20 token", ">Balance"],
              list.map((b) => {
                const a = assetOf(b.asset);
                return [a.name || "—", a.symbol, mono(short(b.asset), b.asset), a.token ? addrLink(a.token) : "—", amount(b.asset, b.balance)];
              }),
              { id: "assets" },
            )
          : empty("No assets."),
      ),
    ),
    section("Unspent outputs", orError(coins, (list) => coinTable(list, "coins"))),
  ];
}

/** Resolves a search: a block number, a block or transaction hash, an address. */
async function searchPage(text) {
  let q = text.trim();
  if (/^([0-9a-fA-F]{64}|[0-9a-fA-F]{40})$/.test(q) && /[a-fA-F]/.test(q)) q = "0x" + q;
  if (/^\d+$/.test(q)) return redirect(["block", q]);
  if (isHash(q)) {
    const [b, t] = await all([
      ["eth_getBlockByHash", [q, false]],
      ["eth_getTransactionByHash", [q]],
    ]);
    if (b) return redirect(["block", q]);
    if (t) return redirect(["tx", q]);
    return notFound(`No block or transaction has the hash ${q}.`);
  }
  if (isAddress(q)) return redirect(["address", q]);
  if (/^0x[0-9a-fA-F]{1,16}$/.test(q)) return redirect(["block", BigInt(q).toString()]);
  return notFound(`“${q}” is not a block number, a block or transaction hash, or an address.`);
}

/** Replaces the current (search) entry of the history with `parts`' page. */
function redirect(parts) {
  location.replace("#/" + parts.map(encodeURIComponent).join("/"));
  return undefined;
}

// ---------------------------------------------------------------------------
// Routing, polling

const pages = { "": homePage, block: blockPage, tx: txPage, address: addressPage, search: searchPage };
let renderSeq = 0;

function currentRoute() {
  const [page = "", ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  let arg = rest.join("/");
  try {
    arg = decodeURIComponent(arg);
  } catch {
    // Keep it as it is: the page says it is not found.
  }
  return { page, arg };
}

/** Renders the page of the current hash. `quiet` skips the loading message. */
async function render(quiet = false) {
  const seq = ++renderSeq;
  const content = document.getElementById("content");
  const { page, arg } = currentRoute();
  const view = pages[page];
  if (!quiet) {
    setTimeout(() => {
      if (seq === renderSeq && content.dataset.seq !== String(seq)) content.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    }, 250);
  }
  let nodes;
  try {
    nodes = view ? await view(arg) : notFound(`There is no page “${location.hash}”.`);
  } catch (e) {
    nodes = errorBox(e);
  }
  if (seq !== renderSeq || nodes === undefined) return;
  content.dataset.seq = String(seq);
  content.dataset.page = view ? page || "home" : "unknown";
  content.replaceChildren(...[nodes].flat());
  const title = page ? `${page} ${arg}` : "latest blocks";
  document.title = `${title} · bytom2 explorer`;
}

/** Polls the head; refreshes the home page when a block arrives, and the ages. */
async function poll() {
  const conn = document.getElementById("conn");
  try {
    const [chainId, head] = await all([
      ["eth_chainId", []],
      ["eth_blockNumber", []],
    ]);
    conn.className = "dot up";
    conn.title = "connected";
    document.getElementById("chain-id").textContent = units(big(chainId), 0).replace(/,/g, "");
    const n = num(head);
    const latest = document.getElementById("latest");
    latest.textContent = integer(head);
    latest.href = `#/block/${n}`;
    state.head = n;
    if (currentRoute().page === "" && state.homeHead !== null && n !== state.homeHead) render(true);
  } catch (e) {
    conn.className = "dot down";
    conn.title = `node unreachable: ${e.message}`;
  }
  for (const el of document.querySelectorAll("[data-ts]")) el.textContent = age(Number(el.dataset.ts));
  setTimeout(poll, POLL_MS);
}

function start() {
  const input = document.getElementById("search-input");
  document.getElementById("search").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    const target = "#/search/" + encodeURIComponent(q);
    if (location.hash === target) render();
    else location.hash = target;
  });
  window.addEventListener("hashchange", () => render());
  render();
  poll();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
