// Hardhat 3 project used by tests/js/hardhat.test.mjs: deploys to a bytom2 node given by
// BYTOM2_RPC_URL as a custom HTTP network, compiling offline with the npm solc (wasm)
// through the `path` compiler option.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export default {
  solidity: {
    version: "0.8.28",
    path: require.resolve("solc/soljson.js"),
    settings: { evmVersion: "cancun" },
  },
  networks: {
    bytom2: {
      type: "http",
      url: process.env.BYTOM2_RPC_URL ?? "http://127.0.0.1:8545",
      chainId: 19000,
      accounts: ["0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"],
    },
  },
};
