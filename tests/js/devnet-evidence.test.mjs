// A devnet whose validator-0 equivocates (the test-only `--equivocate` flag, cargo feature
// `equivocate`: it signs a second, conflicting notarize vote after each vote). Every
// honest node must return the evidence from `dpos_getEvidence`, and the chain goes on
// without the equivocator. Also checks `dpos_status`, `dpos_committee`,
// `dpos_getFinalization` and the `/metrics` endpoint of a network node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { binary, rpc } from "./helpers.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function call(url, method, params = []) {
  const res = await rpc(url, method, params);
  if (res.error) throw new Error(`${method}: ${JSON.stringify(res.error)}`);
  return res.result;
}

async function head(url) {
  try {
    return Number(await call(url, "eth_blockNumber"));
  } catch {
    return -1;
  }
}

function stopAll(children) {
  for (const c of children) {
    if (c.exitCode === null) {
      try { process.kill(c.pid, "SIGKILL"); } catch {}
    }
  }
}

test("an equivocating validator leaves evidence on every honest node", { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bytom2-evidence-"));
  const init = spawnSync(binary(), ["devnet", "--dir", dir, "--rpc-port", "0", "--p2p-port", "0", "--init-only"], {
    encoding: "utf8",
  });
  assert.equal(init.status, 0, init.stderr);
  const nodes = JSON.parse(fs.readFileSync(path.join(dir, "nodes.json"), "utf8"));
  const children = [];
  try {
    for (const node of nodes) {
      const args = [...node.args];
      if (node.name === "validator-0") args.push("--equivocate");
      if (node.role === "full") args.push("--metrics-port", "0");
      fs.mkdirSync(path.dirname(node.log), { recursive: true });
      const log = fs.openSync(node.log, "a");
      children.push(spawn(binary(), args, { stdio: ["ignore", log, log] }));
    }
    const honest = nodes.filter((n) => n.name !== "validator-0");
    const equivocator = nodes.find((n) => n.name === "validator-0");

    // Every honest node keeps evidence naming the equivocator.
    const deadline = Date.now() + 120_000;
    let found = new Map();
    while (Date.now() < deadline && found.size < honest.length) {
      for (const node of honest) {
        try {
          const evidence = await call(node.rpcUrl, "dpos_getEvidence", ["earliest", "latest"]);
          if (evidence.length > 0) found.set(node.name, evidence);
        } catch {}
      }
      await sleep(500);
    }
    const heads = await Promise.all(nodes.map((n) => head(n.rpcUrl)));
    assert.equal(found.size, honest.length, `evidence on ${[...found.keys()]}; heads ${heads}`);
    for (const [name, evidence] of found) {
      for (const e of evidence) {
        assert.equal(e.validator, equivocator.publicKey, `${name} accuses only the equivocator`);
        assert.equal(e.kind, "conflictingNotarize");
        assert.match(e.data, /^0x[0-9a-f]+$/);
      }
    }

    // The chain goes on without the equivocator (the others block it).
    const full = nodes.find((n) => n.role === "full");
    const before = await head(full.rpcUrl);
    const until = Date.now() + 60_000;
    while (Date.now() < until && (await head(full.rpcUrl)) < before + 5) await sleep(300);
    assert.ok((await head(full.rpcUrl)) >= before + 5, "the chain stalled");

    // dpos_* on the full node.
    const status = await call(full.rpcUrl, "dpos_status");
    assert.equal(status.role, "full");
    assert.equal(status.publicKey, full.publicKey);
    assert.equal(Number(status.committeeSize), 4);
    const committee = await call(full.rpcUrl, "dpos_committee");
    assert.equal(committee.members.length, 4);
    assert.equal(Number(committee.quorum), 3);
    const keys = new Set(committee.members.map((m) => m.publicKey));
    const finalization = await call(full.rpcUrl, "dpos_getFinalization", ["0x2"]);
    const block = await call(full.rpcUrl, "eth_getBlockByNumber", ["0x2", false]);
    assert.equal(finalization.blockHash, block.hash);
    assert.ok(finalization.signers.length >= 3, "a quorum signed");
    for (const s of finalization.signers) {
      assert.ok(keys.has(s.publicKey));
      assert.match(s.signature, /^0x[0-9a-f]{128}$/);
    }
    if (finalization.direct) assert.equal(finalization.certifiedHash, block.hash);

    // /metrics of the full node.
    const log = fs.readFileSync(full.log, "utf8");
    const m = log.match(/Metrics: (http:\/\/\S+)/);
    assert.ok(m, "the full node printed its metrics URL");
    const text = await (await fetch(m[1])).text();
    for (const name of [
      "bytom2_head_height",
      "bytom2_pool_transactions",
      "bytom2_block_commit_seconds",
      "bytom2_rpc_requests_total",
      "consensus_activity_evidence_total",
    ]) {
      assert.ok(text.includes(name), `metrics include ${name}`);
    }
  } finally {
    stopAll(children);
    await sleep(200);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
