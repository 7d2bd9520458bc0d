// Deploys Counter over Hardhat's own provider (local account signing), calls inc(), and
// prints a JSON line with the address and the count read back.
import hre from "hardhat";

const { provider } = await hre.network.create();
const artifact = await hre.artifacts.readArtifact("Counter");
const [from] = await provider.request({ method: "eth_accounts" });

async function receipt(hash) {
  for (let i = 0; i < 200; i++) {
    const r = await provider.request({ method: "eth_getTransactionReceipt", params: [hash] });
    if (r) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no receipt for ${hash}`);
}

const deployHash = await provider.request({ method: "eth_sendTransaction", params: [{ from, data: artifact.bytecode }] });
const deployed = await receipt(deployHash);
const address = deployed.contractAddress;
const incHash = await provider.request({ method: "eth_sendTransaction", params: [{ from, to: address, data: "0x371303c0" }] });
const incReceipt = await receipt(incHash);
const count = await provider.request({ method: "eth_call", params: [{ to: address, data: "0x06661abd" }, "latest"] });
console.log(JSON.stringify({ address, deployStatus: deployed.status, incStatus: incReceipt.status, count }));
