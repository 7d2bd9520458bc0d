// Compiles contracts/src/*.sol with the npm `solc` (wasm, offline), imports such as
// `@openzeppelin/contracts` resolved through `require`. Shared by contracts/build.mjs (the
// committed artifacts) and tests/js/helpers.mjs (the client tests).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const srcDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "src");

/**
 * Returns { solc, contracts: [{ name, abi, bytecode, deployedBytecode }] } in source-file
 * order; throws with solc's messages on a compile error.
 */
export function compileContracts(require) {
  const solc = require("solc");
  const sources = {};
  for (const f of fs.readdirSync(srcDir).filter((f) => f.endsWith(".sol"))) {
    sources[f] = { content: fs.readFileSync(path.join(srcDir, f), "utf8") };
  }
  const input = {
    language: "Solidity",
    sources,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const findImports = (p) => {
    try {
      return { contents: fs.readFileSync(require.resolve(p), "utf8") };
    } catch {
      return { error: `not found: ${p}` };
    }
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (out.errors || []).filter((e) => e.severity === "error");
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const contracts = [];
  for (const file of Object.keys(sources)) {
    for (const [name, c] of Object.entries(out.contracts[file])) {
      contracts.push({
        name,
        abi: c.abi,
        bytecode: "0x" + c.evm.bytecode.object,
        deployedBytecode: "0x" + c.evm.deployedBytecode.object,
      });
    }
  }
  return { solc, contracts };
}
