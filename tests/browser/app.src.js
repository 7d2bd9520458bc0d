// Bundled by esbuild into app.js for the browser test: reads chain id, block number and
// a balance from the node given by ?rpc=URL with viem (a cross-origin request: CORS).
import { createPublicClient, http, formatEther } from "viem";

const params = new URLSearchParams(location.search);
const rpc = params.get("rpc");
const account = params.get("account");
const client = createPublicClient({ transport: http(rpc) });
const status = document.getElementById("status");
document.getElementById("account").textContent = account;

try {
  const [chainId, block, balance] = await Promise.all([
    client.getChainId(),
    client.getBlockNumber(),
    client.getBalance({ address: account }),
  ]);
  document.getElementById("chain").textContent = String(chainId);
  document.getElementById("block").textContent = String(block);
  document.getElementById("balance").textContent = formatEther(balance);
  status.textContent = "ok";
} catch (e) {
  status.textContent = "error: " + e.message;
}
status.dataset.done = "1";
