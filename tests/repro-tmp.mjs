import { startDevnet, call, blockNumber, sleep, alive, devKey, tail } from "./js/devnet-helpers.mjs";
import { ethers } from "ethers";
const d = await startDevnet({minHeight: 5});
const url = d.url("full-0");
const provider = new ethers.JsonRpcProvider(url, 19000, { staticNetwork: true });
const w = new ethers.Wallet(devKey(9), provider);
let nonce = await provider.getTransactionCount(w.address);
let stop = false;
const fee = await provider.getFeeData();
const loop = (async () => { while (!stop) { try { const raw = await w.signTransaction({type:2, chainId:19000, nonce, to: w.address, value: 1n, gasLimit: 21000n, maxFeePerGas: fee.maxFeePerGas*3n, maxPriorityFeePerGas: fee.maxPriorityFeePerGas}); await provider.broadcastTransaction(raw); nonce++; } catch (e) {} await sleep(100); } })();
let found = false;
try {
  await d.kill("validator-0");
  for (let i = 0; i < 200 && !found; i++) {
    const pid = await d.restart("validator-0", { wait: false });
    const runFor = 300 + Math.floor(Math.random() * 1500);
    await sleep(runFor);
    if (!alive(pid)) { console.log("died by itself at", i, "runFor", runFor); console.log(tail(d.node("validator-0").log, 40, 300)); found = true; break; }
    await d.kill("validator-0");
    await sleep(Math.floor(Math.random() * 3000));
    if (i % 25 === 0) console.log(i, JSON.stringify(await d.heads()));
  }
} finally { stop = true; await loop; provider.destroy(); await d.stop({keep: found}); }
