// Compiles contracts/src/*.sol with the npm `solc` (wasm, offline) into
// contracts/artifacts/<Name>.json ({abi, bytecode, deployedBytecode}).
// Usage: node contracts/build.mjs  (needs `solc` and `@openzeppelin/contracts` resolvable
// from the current directory's node_modules or NODE_PATH).
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compileContracts } from "./compile.mjs";

const require = createRequire(path.join(process.cwd(), "package.json"));
const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "artifacts");

let compiled;
try {
  compiled = compileContracts(require);
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
fs.mkdirSync(outDir, { recursive: true });
for (const c of compiled.contracts) {
  const artifact = {
    contractName: c.name,
    abi: c.abi,
    bytecode: c.bytecode,
    deployedBytecode: c.deployedBytecode,
    compiler: `solc ${compiled.solc.version()}`,
  };
  fs.writeFileSync(path.join(outDir, `${c.name}.json`), JSON.stringify(artifact, null, 2) + "\n");
  console.log(`compiled ${c.name}`);
}
