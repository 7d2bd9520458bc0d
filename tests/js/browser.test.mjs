// A static dApp page using viem, served from another origin than the node, loaded in
// headless Chromium: it must read the chain id, block number and a balance (this is
// what proves CORS works for real browsers). Skipped only when no Chromium is installed
// and BYTOM2_REQUIRE_BROWSER is unset (.ci/run installs Chromium and sets it).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { startNode, repo } from "./helpers.mjs";

const dir = path.join(repo, "tests", "browser");
const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));
const required = !!process.env.BYTOM2_REQUIRE_BROWSER;

let node;
let server;
let pageOrigin;

before(async () => {
  if (!chromium) return;
  execFileSync(path.join(repo, "tests", "node_modules", ".bin", "esbuild"), [
    path.join(dir, "app.src.js"), "--bundle", "--format=esm", "--platform=browser",
    `--outfile=${path.join(dir, "app.js")}`, "--log-level=warning",
  ]);
  node = await startNode();
  server = http.createServer((req, res) => {
    const file = path.join(dir, new URL(req.url, "http://x").pathname === "/" ? "index.html" : path.basename(new URL(req.url, "http://x").pathname));
    if (!fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { "content-type": file.endsWith(".js") ? "text/javascript" : "text/html" });
    res.end(fs.readFileSync(file));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  pageOrigin = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  if (server) server.close();
  if (node) await node.stop();
  fs.rmSync(path.join(dir, "app.js"), { force: true });
});

test("a viem dApp page in headless Chromium reads the node across origins", { skip: !chromium && !required ? "no chromium installed" : false }, async () => {
  assert.ok(chromium, "Chromium is required (BYTOM2_REQUIRE_BROWSER) but not installed");
  const { chromium: pw } = await import("playwright-core");
  const browser = await pw.launch({
    executablePath: chromium,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    const account = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    await page.goto(`${pageOrigin}/?rpc=${encodeURIComponent(node.url)}&account=${account}`);
    await page.waitForSelector("#status[data-done]", { timeout: 20000 });
    assert.equal(await page.textContent("#status"), "ok");
    assert.equal(await page.textContent("#chain"), "19000");
    assert.match(await page.textContent("#block"), /^\d+$/);
    assert.equal(await page.textContent("#balance"), "10000");
    await page.screenshot({ path: path.join(repo, "target", "browser-check.png") });
  } finally {
    await browser.close();
  }
});
