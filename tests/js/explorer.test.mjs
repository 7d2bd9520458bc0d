// The block explorer served by the node at `/`, in headless Chromium: the home page
// follows the head, the search box opens a transaction, an address and a native
// transaction, and unknown input says "not found". Skipped only when no Chromium is
// installed and BYTOM2_REQUIRE_BROWSER is unset.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers } from "ethers";
import { startNode, rpc, DEV_KEYS } from "./helpers.mjs";
import * as N from "./native-tx.mjs";

const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));
const required = !!process.env.BYTOM2_REQUIRE_BROWSER;
const skip = !chromium && !required ? "no chromium installed" : false;

let node;
let browser;
let page;
const recipient = ethers.Wallet.createRandom().address;
let transfer; // the Ethereum transfer to `recipient`
let native; // a native transaction creating an asset for `recipient`
const pageErrors = [];

before(async () => {
  if (skip) return;
  node = await startNode();
  const provider = new ethers.JsonRpcProvider(node.url, undefined, { staticNetwork: true, polling: true, pollingInterval: 100 });
  const wallet = new ethers.Wallet(DEV_KEYS[0], provider);
  const tx = await wallet.sendTransaction({ to: recipient, value: ethers.parseEther("1.5") });
  transfer = await tx.wait();
  const built = await N.buildCreateAsset(node.url, {
    key: DEV_KEYS[1],
    definition: { name: "Explorer Gold", symbol: "XGLD", decimals: 6 },
    amount: 2_500_000n,
    to: recipient,
  });
  await N.call(node.url, "eth_sendRawTransaction", [built.raw]);
  await N.waitReceipt(node.url, built.hash);
  native = built;

  const { chromium: pw } = await import("playwright-core");
  browser = await pw.launch({
    executablePath: chromium,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
  page.on("response", (r) => r.status() >= 400 && pageErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`));
});

after(async () => {
  if (browser) await browser.close();
  if (node) await node.stop();
});

/** The decimal head number from eth_blockNumber. */
async function head() {
  return String(BigInt((await rpc(node.url, "eth_blockNumber")).result));
}

/**
 * The selector of the home page's top row when it shows block `n`. (Selectors, not
 * waitForFunction: the page's Content-Security-Policy forbids the eval that
 * Playwright's polling predicates need.)
 */
const topBlock = (n) => `#blocks tbody tr:first-child[data-number="${n}"]`;

/** Types `q` into the search box and submits it. */
async function search(q) {
  await page.fill("#search-input", q);
  await page.click("#search button");
}

test("the home page lists the latest blocks, newest first, and follows the head", { skip }, async () => {
  const response = await page.goto(`${node.url}/`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()["content-type"], /^text\/html/);
  assert.match(response.headers()["content-security-policy"], /script-src 'self'/);

  const latest = await head();
  await page.waitForSelector(topBlock(latest), { timeout: 20000 });
  assert.equal(await page.textContent("#latest"), latest);
  const numbers = await page.$$eval("#blocks tbody tr", (rows) => rows.map((r) => Number(r.dataset.number)));
  assert.deepEqual(numbers, [...numbers].sort((a, b) => b - a), "newest block at the top");
  assert.equal(numbers.at(-1), 0, "back to genesis on a short chain");

  const shot = path.join(os.tmpdir(), `bytom2-explorer-${process.pid}.png`);
  await page.screenshot({ path: shot, fullPage: true });
  const png = fs.readFileSync(shot);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  assert.ok(png.length > 20_000, `screenshot has ${png.length} bytes`);
  console.log(`# explorer screenshot: ${shot}`);

  // A new block appears without a reload (the page polls eth_blockNumber).
  const wallet = new ethers.Wallet(DEV_KEYS[2], new ethers.JsonRpcProvider(node.url, undefined, { staticNetwork: true, pollingInterval: 100 }));
  await (await wallet.sendTransaction({ to: recipient, value: 1n })).wait();
  const next = await head();
  assert.notEqual(next, latest);
  await page.waitForSelector(topBlock(next), { timeout: 10000 });
});

test("searching a transaction hash opens the transaction with its receipt", { skip }, async () => {
  await search(transfer.hash);
  await page.waitForSelector("#tx-status .badge", { timeout: 10000 });
  assert.equal(await page.evaluate(() => location.hash), `#/tx/${transfer.hash}`);
  assert.equal(await page.textContent("#tx-status"), "success");
  assert.equal((await page.textContent("#tx-from")).toLowerCase(), transfer.from.toLowerCase());
  assert.equal((await page.textContent("#tx-to")).toLowerCase(), recipient.toLowerCase());
  const text = await page.textContent("#content");
  assert.match(text, /1\.5 BTM/);
  assert.match(text, /0x2 EIP-1559/);
  assert.match(text, /utxo_getTransaction returns null/);
  // The block's settlement created the recipient's output.
  assert.ok((await page.$$("#settlement-created tbody tr")).length >= 1);
});

test("searching an address shows its balance, outputs and assets", { skip }, async () => {
  await search(recipient);
  await page.waitForSelector("#addr-balance", { timeout: 10000 });
  assert.equal(await page.evaluate(() => location.hash), `#/address/${recipient}`);
  const balance = BigInt((await rpc(node.url, "eth_getBalance", [recipient, "latest"])).result);
  assert.equal(await page.textContent("#addr-balance"), `${ethers.formatEther(balance).replace(/\.0$/, "")} BTM`);
  const coins = await page.$$eval("#coins tbody tr", (rows) => rows.map((r) => r.textContent));
  assert.ok(coins.some((t) => t.includes("1.5 BTM")), `outputs: ${coins}`);
  assert.ok(coins.some((t) => t.includes("2.5 XGLD")), `outputs: ${coins}`);
  const assets = await page.$$eval("#assets tbody tr", (rows) => rows.map((r) => r.textContent));
  assert.ok(assets.some((t) => t.includes("Explorer Gold") && t.includes("XGLD") && t.includes("2.5")), `assets: ${assets}`);
});

test("a native transaction lists its UTXO inputs and outputs", { skip }, async () => {
  await search(native.hash);
  await page.waitForSelector("#utxo-outputs", { timeout: 10000 });
  assert.equal(await page.textContent("#tx-status"), "success");
  assert.match(await page.textContent("#content"), /0x62 Native UTXO/);
  assert.equal((await page.$$("#utxo-inputs tbody tr")).length, native.spent.length);
  assert.equal((await page.$$("#utxo-outputs tbody tr")).length, native.tx.outputs.length);
  assert.match(await page.textContent("#utxo-outputs"), /2\.5 XGLD/);
});

test("a block number and a block hash open the block; other input is not found", { skip }, async () => {
  await search(String(transfer.blockNumber));
  await page.waitForSelector("#block-txs", { timeout: 10000 });
  assert.match(await page.textContent("#block-txs"), new RegExp(transfer.hash.slice(0, 8)));

  await search(transfer.blockHash);
  await page.waitForURL((u) => u.hash === `#/block/${transfer.blockHash}`, { timeout: 10000 });
  await page.waitForSelector("#block-txs", { timeout: 10000 });

  await search("0x" + "ab".repeat(32));
  await page.waitForSelector("#not-found", { timeout: 10000 });
  await search("<img src=x onerror=alert(1)>");
  await page.waitForSelector("#not-found", { timeout: 10000 });
  assert.match(await page.textContent("#not-found"), /<img src=x onerror=alert\(1\)>/, "shown as text");
  assert.equal(await page.$("#content img"), null, "never parsed as HTML");
  assert.deepEqual(pageErrors, [], "no script errors in the page");
});

test("a pending transaction shows as pending; a stopped node shows an error, not a blank page", { skip }, async () => {
  const slow = await startNode(["--block-time", "3600"]);
  const other = await browser.newPage();
  try {
    const wallet = new ethers.Wallet(DEV_KEYS[3], new ethers.JsonRpcProvider(slow.url, undefined, { staticNetwork: true }));
    const tx = await wallet.sendTransaction({ to: recipient, value: 1n });
    await other.goto(`${slow.url}/#/tx/${tx.hash}`);
    await other.waitForSelector("#tx-status .badge", { timeout: 10000 });
    assert.equal(await other.textContent("#tx-status"), "pending");
    assert.match(await other.textContent("#content"), /pending \(in the mempool\)/);

    await slow.stop();
    await other.evaluate(() => (location.hash = "#/block/0"));
    await other.waitForSelector("#content .error", { timeout: 10000 });
    assert.match(await other.textContent("#content .error"), /Cannot reach the node/);
  } finally {
    await other.close();
    await slow.stop();
  }
});
