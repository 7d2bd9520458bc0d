// Shared helpers: start a bytom2 dev node on a free port, compile contracts with solc.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { compileContracts } from "../../contracts/compile.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, "../..");
const require = createRequire(import.meta.url);

/** Path of the bytom2 binary: $BYTOM2_BIN or target/debug/bytom2. */
export function binary() {
  return process.env.BYTOM2_BIN || path.join(repo, "target", "debug", "bytom2");
}

/** The standard test mnemonic's first accounts (what `bytom2 --dev` prints). */
export const DEV_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
];
export const CHAIN_ID = 19000;

/**
 * Starts `bytom2 --dev --port 0` in a fresh data directory and waits for its RPC URL.
 * Returns { url, ws, pid, stop() }; stop() kills the process by its PID and removes the
 * data directory.
 */
export async function startNode(extraArgs = []) {
  const datadir = fs.mkdtempSync(path.join(os.tmpdir(), "bytom2-js-"));
  const child = spawn(binary(), ["--dev", "--port", "0", "--datadir", datadir, "--log-level", "warn", ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const addr = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start: ${err}`)), 20000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/Listening on (\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`node exited ${code}: ${err}`)));
  });
  return {
    url: `http://${addr}`,
    ws: `ws://${addr}`,
    pid: child.pid,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        process.kill(child.pid, "SIGTERM");
        await new Promise((r) => {
          const t = setTimeout(() => {
            try { process.kill(child.pid, "SIGKILL"); } catch {}
            r();
          }, 5000);
          child.on("exit", () => { clearTimeout(t); r(); });
        });
      }
      fs.rmSync(datadir, { recursive: true, force: true });
    },
  };
}

/** One raw JSON-RPC call (or a batch when `body` is an array). */
export async function rpc(url, method, params = []) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return res.json();
}

let compiled;
/** Compiles contracts/src/*.sol (with OpenZeppelin) once; returns { Name: {abi, bytecode} }. */
export function contracts() {
  if (compiled) return compiled;
  compiled = {};
  for (const c of compileContracts(require).contracts) {
    compiled[c.name] = { abi: c.abi, bytecode: c.bytecode };
  }
  return compiled;
}
