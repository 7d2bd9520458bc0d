// Helpers for end-to-end tests against a real multi-process devnet (`bytom2 devnet`):
// start one in a fresh directory with free ports, kill and restart single nodes by PID,
// wait for heights with failure messages that show every node's head and the node's
// log, and compare block hashes, state roots and balances across nodes.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers } from "ethers";
import { binary } from "./helpers.mjs";

export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Private key of the dev mnemonic's account `i` (0..9 are funded on the devnet). */
export function devKey(i) {
  return ethers.HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).privateKey;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One JSON-RPC call with a timeout; throws on transport errors and error responses. */
export async function call(url, method, params = [], timeoutMs = 5000) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await res.json();
  if (body.error) {
    const e = new Error(`${method}: ${body.error.message}`);
    e.code = body.error.code;
    e.data = body.error.data;
    throw e;
  }
  return body.result;
}

/** The node answers batches of at most 100 requests ("Exceeded max limit of 100"). */
const MAX_BATCH = 100;

/** A JSON-RPC batch: [[method, params], …] → results (throws on the first error); sent in chunks of 100. */
export async function batch(url, calls, timeoutMs = 15000) {
  const out = [];
  for (let start = 0; start < calls.length; start += MAX_BATCH) {
    const chunk = calls.slice(start, start + MAX_BATCH);
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chunk.map(([method, params], id) => ({ jsonrpc: "2.0", id, method, params }))),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.json();
    if (!Array.isArray(body)) throw new Error(`batch answered ${JSON.stringify(body).slice(0, 300)}`);
    const results = new Array(chunk.length);
    for (const r of body) {
      if (r.error) throw new Error(`${chunk[r.id][0]}(${JSON.stringify(chunk[r.id][1])}): ${r.error.message}`);
      results[r.id] = r.result;
    }
    out.push(...results);
  }
  return out;
}

/** eth_blockNumber as a number. */
export async function blockNumber(url, timeoutMs = 3000) {
  return Number(BigInt(await call(url, "eth_blockNumber", [], timeoutMs)));
}

/**
 * Whether any thread of `pid` still runs. A SIGKILLed multi-threaded process shows its
 * main thread as a zombie while other threads are still exiting (and still hold its
 * files, e.g. the data directory's lock): it is dead only once every thread is.
 *
 * Only meaningful for a pid that cannot have been reused: a child not yet reaped. Use
 * the devnet's `isUp(pid)`, which knows which pids those are.
 */
function threadsAlive(pid) {
  if (!pid) return false;
  let tasks;
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  for (const tid of tasks) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      // Field 3 (after the parenthesised command name) is the state; Z and X are dead.
      const state = stat[stat.lastIndexOf(")") + 2];
      if (state !== "Z" && state !== "X") return true;
    } catch {
      // The thread is gone.
    }
  }
  return false;
}

/** Whether `pid`'s command line mentions `text` (false for a zombie or a missing pid). */
function cmdlineHas(pid, text) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
  } catch {
    return false;
  }
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** The last `lines` lines of a file (each cut to `width` characters). */
export function tail(file, lines = 25, width = 400) {
  try {
    const text = fs.readFileSync(file, "utf8");
    return text
      .trimEnd()
      .split("\n")
      .slice(-lines)
      .map((l) => (l.length > width ? l.slice(0, width) + "…" : l))
      .join("\n");
  } catch (e) {
    return `(cannot read ${file}: ${e.message})`;
  }
}

// Every devnet still running, stopped synchronously if the test process exits.
const running = new Set();
process.on("exit", () => {
  for (const d of running) d.killAllSync();
});
// Ctrl-C or a SIGTERM to the test process: stop the nodes before dying (the default
// action would skip the "exit" handler above).
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => {
    for (const d of running) d.killAllSync();
    process.kill(process.pid, sig);
  });
}

/**
 * Starts `bytom2 devnet` in a fresh temporary directory with free ports and waits until
 * every node's RPC answers and every node has applied `minHeight` blocks.
 *
 * Returns the devnet: { dir, nodes (nodes.json, with `pid` updated on restarts), node(name),
 * url(name), kill(name, signal), restart(name), heads(), stop({keep}) , … }.
 */
export async function startDevnet({
  validators = 4,
  fullNodes = 1,
  blockTime = 0.5,
  epochLength,
  logLevel = "info",
  minHeight = 3,
  timeoutMs = 90_000,
} = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bytom2-devnet-"));
  const args = [
    "devnet", "--dir", dir, "--rpc-port", "0", "--p2p-port", "0",
    "--validators", String(validators), "--full-nodes", String(fullNodes),
    "--block-time", String(blockTime), "--log-level", logLevel,
  ];
  if (epochLength !== undefined) args.push("--epoch-length", String(epochLength));
  const started = Date.now();
  const proc = spawn(binary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  proc.stdout.on("data", (d) => (output += d));
  proc.stderr.on("data", (d) => (output += d));
  const exited = new Promise((resolve) => proc.on("exit", (code, sig) => resolve({ code, sig })));

  /** pid → { name, child, exit } of every node process this test started itself. */
  const own = new Map();
  let nodes = [];
  let stopped = false;
  const devnetRunning = () => proc.exitCode === null && proc.signalCode === null;

  const devnet = {
    dir,
    proc,
    get nodes() {
      return nodes;
    },
    output: () => output,
    node(name) {
      const n = nodes.find((x) => x.name === name);
      if (!n) throw new Error(`no node ${name} in ${nodes.map((x) => x.name).join(", ")}`);
      return n;
    },
    url(name) {
      return devnet.node(name).rpcUrl;
    },
    get validators() {
      return nodes.filter((n) => n.role === "validator");
    },
    get fullNodes() {
      return nodes.filter((n) => n.role === "full");
    },
    /** The pids `bytom2 devnet` started (nodes.json as first read). */
    originalPids: [],

    /**
     * Whether node process `pid` (one the devnet or this test started) still runs, without
     * ever looking at a reused pid: a process this test started counts as up until Node
     * reaps it (its "exit" event: every thread is gone); one the devnet started is its
     * unreaped child while the devnet runs, and afterwards must still name this devnet's
     * directory on its command line.
     */
    isUp(pid) {
      const o = own.get(pid);
      if (o) return o.exit === undefined;
      if (!devnet.originalPids.includes(pid)) return false;
      return devnetRunning() ? threadsAlive(pid) : threadsAlive(pid) && cmdlineHas(pid, dir);
    },

    /** Waits until `isUp(pid)` is false; false on timeout. */
    async waitDown(pid, timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (devnet.isUp(pid)) {
        if (Date.now() > end) return false;
        await sleep(25);
      }
      return true;
    },

    /** Sends `sig` to the node's current process and waits until it is gone. */
    async kill(name, sig = "SIGKILL", timeoutMs = 20_000) {
      const n = devnet.node(name);
      const pid = n.pid;
      if (!devnet.isUp(pid)) throw new Error(`${name} (pid ${pid}) is not running`);
      signal(pid, sig);
      if (!(await devnet.waitDown(pid, timeoutMs))) {
        if (devnet.isUp(pid)) signal(pid, "SIGKILL");
        await devnet.waitDown(pid, 5000);
        throw new Error(`${name} (pid ${pid}) did not exit within ${timeoutMs} ms of ${sig}\n${tail(n.log)}`);
      }
      return pid;
    },

    /**
     * Starts the node again with its exact nodes.json arguments (output appended to its
     * node.log). With `wait` (default), waits until its RPC answers. Returns the new pid.
     */
    async restart(name, { wait = true, timeoutMs = 30_000 } = {}) {
      if (stopped) throw new Error("the devnet is stopped");
      const n = devnet.node(name);
      if (devnet.isUp(n.pid)) throw new Error(`${name} (pid ${n.pid}) is still running`);
      const fd = fs.openSync(n.log, "a");
      fs.writeSync(fd, `\n==== test: restarting ${name} at ${new Date().toISOString()} ====\n`);
      let child;
      try {
        child = spawn(binary(), n.args, { stdio: ["ignore", fd, fd] });
      } finally {
        fs.closeSync(fd);
      }
      const entry = { name, child, exit: undefined };
      own.set(child.pid, entry);
      child.on("exit", (code, sig) => (entry.exit = { code, signal: sig }));
      n.pid = child.pid;
      if (wait) await devnet.waitRpc(name, timeoutMs);
      return child.pid;
    },

    /** How a node process this test started exited ({code, signal}), or undefined. */
    exitStatus(pid) {
      return own.get(pid)?.exit;
    },

    /** Waits until the node's RPC answers eth_blockNumber. */
    async waitRpc(name, timeoutMs = 30_000) {
      const n = devnet.node(name);
      const end = Date.now() + timeoutMs;
      for (;;) {
        try {
          return await blockNumber(n.rpcUrl, 1000);
        } catch (e) {
          if (!devnet.isUp(n.pid)) throw new Error(`${name} (pid ${n.pid}) exited before its RPC answered\n${tail(n.log)}`);
          if (Date.now() > end) throw new Error(`${name}'s RPC did not answer within ${timeoutMs} ms: ${e.message}\n${tail(n.log)}`);
          await sleep(100);
        }
      }
    },

    /** { name: head number, or "down" / "error: …" } of every node. */
    async heads() {
      const out = {};
      await Promise.all(
        nodes.map(async (n) => {
          try {
            out[n.name] = await blockNumber(n.rpcUrl, 2000);
          } catch (e) {
            out[n.name] = devnet.isUp(n.pid) ? `error: ${e.cause?.code ?? e.message}` : "down";
          }
        }),
      );
      return Object.fromEntries(nodes.map((n) => [n.name, out[n.name]]));
    },

    /** Heads as numbers of the nodes that answer (`names` default: all). */
    async liveHeads(names = nodes.map((n) => n.name)) {
      const h = await devnet.heads();
      return Object.fromEntries(names.filter((x) => typeof h[x] === "number").map((x) => [x, h[x]]));
    },

    /**
     * Waits until `name`'s eth_blockNumber ≥ `height`; on timeout throws with the heads of
     * all nodes and the tail of the node's log.
     */
    async waitForHeight(name, height, timeoutMs = 30_000, what = "") {
      const n = devnet.node(name);
      const start = Date.now();
      let last;
      for (;;) {
        try {
          last = await blockNumber(n.rpcUrl, 2000);
          if (last >= height) return last;
        } catch (e) {
          last = `error: ${e.cause?.code ?? e.message}`;
        }
        if (Date.now() - start > timeoutMs) {
          throw new Error(
            `${what ? what + ": " : ""}${name} did not reach block ${height} within ${timeoutMs} ms (its head: ${last})\n` +
              `heads: ${JSON.stringify(await devnet.heads())}\n` +
              `--- tail of ${n.log} ---\n${tail(n.log)}`,
          );
        }
        await sleep(150);
      }
    },

    /** Waits until every node named (default all) reaches `height`. */
    async waitAll(height, timeoutMs = 30_000, names = nodes.map((n) => n.name), what = "") {
      const end = Date.now() + timeoutMs;
      for (const name of names) await devnet.waitForHeight(name, height, Math.max(1, end - Date.now()), what);
    },

    /**
     * Sends SIGTERM to the devnet process and to every node this test started, waits for
     * them (SIGKILL after a bound), then removes the directory (kept with `keep` or
     * BYTOM2_KEEP_DEVNET=1, and its path printed).
     */
    async stop({ keep = !!process.env.BYTOM2_KEEP_DEVNET } = {}) {
      if (stopped) return;
      stopped = true;
      if (devnetRunning()) signal(proc.pid, "SIGTERM");
      const mine = [...own.entries()].filter(([, o]) => o.exit === undefined);
      for (const [pid] of mine) signal(pid, "SIGTERM");
      // The devnet stops its nodes (and SIGKILLs them after its own 15 s).
      const devnetDone = await Promise.race([exited.then(() => true), sleep(25_000).then(() => false)]);
      if (!devnetDone) {
        signal(proc.pid, "SIGKILL");
        await exited;
      }
      const end = Date.now() + 10_000;
      for (const [pid] of mine) {
        if (!(await devnet.waitDown(pid, Math.max(0, end - Date.now())))) {
          signal(pid, "SIGKILL");
          await devnet.waitDown(pid, 5000);
        }
      }
      // The devnet's own nodes, should it have left any (checked by command line).
      for (const pid of devnet.originalPids) {
        if (devnet.isUp(pid)) {
          signal(pid, "SIGKILL");
          await devnet.waitDown(pid, 5000);
        }
      }
      running.delete(devnet);
      const leftovers = [...devnet.originalPids, ...mine.map(([pid]) => pid)].filter((pid) => devnet.isUp(pid));
      if (keep) console.log(`# devnet kept in ${dir}`);
      else fs.rmSync(dir, { recursive: true, force: true });
      if (leftovers.length) throw new Error(`processes still alive after stop: ${leftovers.join(", ")}`);
      return { devnetExitedCleanly: devnetDone };
    },

    /** For process exit: SIGTERM to the devnet, SIGKILL to every node still up. */
    killAllSync() {
      for (const pid of [...devnet.originalPids, ...own.keys()]) if (devnet.isUp(pid)) signal(pid, "SIGKILL");
      if (devnetRunning()) signal(proc.pid, "SIGTERM");
    },
  };
  running.add(devnet);

  try {
    // nodes.json is written once every node is spawned; the banner once every RPC port
    // is open.
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (output.includes("Press Ctrl-C to stop the devnet.")) break;
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`bytom2 devnet exited (${proc.exitCode ?? proc.signalCode}) during start-up:\n${output}`);
      }
      if (Date.now() > end) throw new Error(`bytom2 devnet did not print its banner in ${timeoutMs} ms:\n${output}`);
      await sleep(50);
    }
    nodes = JSON.parse(fs.readFileSync(path.join(dir, "nodes.json"), "utf8"));
    devnet.originalPids = nodes.map((n) => n.pid);
    await devnet.waitAll(minHeight, Math.max(1, end - Date.now()), undefined, "devnet start-up");
    devnet.startedInMs = Date.now() - started;
    return devnet;
  } catch (e) {
    await devnet.stop().catch(() => {});
    throw e;
  }
}

/**
 * Block hashes 1..`upTo` (default: the lowest head of the nodes) on every node in
 * `names` (default: all), compared height by height. Returns { height, mismatches:
 * [{number, hashes}], hashes: {name: [hash at 1, …]} }.
 */
export async function compareBlocks(devnet, { names = devnet.nodes.map((n) => n.name), upTo, from = 1 } = {}) {
  const heads = await devnet.heads();
  const height = upTo ?? Math.min(...names.map((n) => (typeof heads[n] === "number" ? heads[n] : -1)));
  if (height < 0) throw new Error(`a node does not answer: ${JSON.stringify(heads)}`);
  const hashes = {};
  await Promise.all(
    names.map(async (name) => {
      const url = devnet.url(name);
      const list = [];
      for (let start = from; start <= height; start += 100) {
        const stop = Math.min(height, start + 99);
        const calls = [];
        for (let i = start; i <= stop; i++) calls.push(["eth_getBlockByNumber", [ethers.toQuantity(i), false]]);
        const blocks = await batch(url, calls);
        blocks.forEach((b, k) => list.push(b ? { hash: b.hash, stateRoot: b.stateRoot, parentHash: b.parentHash, number: Number(BigInt(b.number)) } : null));
        if (blocks.some((b, k) => b && Number(BigInt(b.number)) !== start + k)) {
          throw new Error(`${name} answered a block with the wrong number near ${start}`);
        }
      }
      hashes[name] = list;
    }),
  );
  const mismatches = [];
  for (let i = 0; i <= height - from; i++) {
    const at = Object.fromEntries(names.map((n) => [n, hashes[n][i] ? `${hashes[n][i].hash}/${hashes[n][i].stateRoot}` : null]));
    if (new Set(Object.values(at)).size !== 1) mismatches.push({ number: from + i, blocks: at });
  }
  // Each node's own chain links (parentHash of n+1 is the hash of n).
  for (const n of names) {
    for (let i = 1; i < hashes[n].length; i++) {
      const [a, b] = [hashes[n][i - 1], hashes[n][i]];
      if (a && b && b.parentHash !== a.hash) mismatches.push({ number: from + i, node: n, brokenLink: { parentHash: b.parentHash, previous: a.hash } });
    }
  }
  return { height, mismatches, heads, hashes };
}

/** Throws (with the first differing heights) unless every node agrees on blocks from..height. */
export async function assertSameChain(devnet, opts = {}) {
  const r = await compareBlocks(devnet, opts);
  if (r.mismatches.length) {
    throw new Error(
      `nodes disagree on ${r.mismatches.length} block(s) up to ${r.height} (heads ${JSON.stringify(r.heads)}):\n` +
        JSON.stringify(r.mismatches.slice(0, 5), null, 1),
    );
  }
  return r;
}

const ERC20 = new ethers.Interface(["function balanceOf(address) view returns (uint256)"]);

/**
 * BTM balances (eth_getBalance), nonces (eth_getTransactionCount) and token balances
 * (balanceOf through eth_call) of `addresses` at block `at` (default: the lowest head) on
 * every node. Returns { at, byNode: {name: {"BTM:addr": value, "nonce:addr": value,
 * "token:addr": value}}, mismatches: [key, values] }.
 */
export async function compareBalances(devnet, addresses, { tokens = [], names = devnet.nodes.map((n) => n.name), at } = {}) {
  const heads = await devnet.heads();
  const height = at ?? Math.min(...names.map((n) => (typeof heads[n] === "number" ? heads[n] : -1)));
  if (height < 0) throw new Error(`a node does not answer: ${JSON.stringify(heads)}`);
  const tag = ethers.toQuantity(height);
  const keys = [];
  const calls = [];
  for (const a of addresses) {
    keys.push(`BTM:${a}`);
    calls.push(["eth_getBalance", [a, tag]]);
    keys.push(`nonce:${a}`);
    calls.push(["eth_getTransactionCount", [a, tag]]);
    for (const t of tokens) {
      keys.push(`${t}:${a}`);
      calls.push(["eth_call", [{ to: t, data: ERC20.encodeFunctionData("balanceOf", [a]) }, tag]]);
    }
  }
  const byNode = {};
  await Promise.all(
    names.map(async (name) => {
      const res = await batch(devnet.url(name), calls);
      // A token not deployed yet at `at` answers "0x": kept as text, so it shows as a mismatch.
      byNode[name] = Object.fromEntries(keys.map((k, i) => [k, res[i] === "0x" ? "0x" : BigInt(res[i])]));
    }),
  );
  const mismatches = [];
  for (const k of keys) {
    const values = Object.fromEntries(names.map((n) => [n, byNode[n][k].toString()]));
    if (new Set(Object.values(values)).size !== 1) mismatches.push([k, values]);
  }
  return { at: height, byNode, mismatches };
}
