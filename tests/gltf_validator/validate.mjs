// Run the Khronos glTF-Validator (npm gltf-validator) on one .glb/.gltf file and print its JSON report.
// usage: node validate.mjs FILE   (external resources are read from FILE's folder only)
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const validator = require("gltf-validator");

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate.mjs FILE");
  process.exit(2);
}
const full = path.resolve(file);
const folder = path.dirname(full);
const data = new Uint8Array(fs.readFileSync(full));
try {
  const report = await validator.validateBytes(data, {
    uri: path.basename(full),
    maxIssues: 1000,
    externalResourceFunction: (uri) =>
      new Promise((resolve, reject) => {
        const target = path.resolve(folder, decodeURIComponent(uri));
        if (!target.startsWith(folder + path.sep)) {
          reject(`refusing ${uri}: outside ${folder}`);
          return;
        }
        fs.readFile(target, (err, bytes) => (err ? reject(err.toString()) : resolve(new Uint8Array(bytes))));
      }),
  });
  process.stdout.write(JSON.stringify(report, null, 1) + "\n");
} catch (err) {
  console.error(String(err));
  process.exit(1);
}
