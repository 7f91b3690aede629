#!/usr/bin/env node
'use strict';
// The CLI entry point. `npm install` builds dist/ through the `prepare` script; if dist/ is
// missing (e.g. it was cleaned), build it once on demand so a fresh clone needs no extra step.
const path = require('path');
const fs = require('fs');
const root = path.join(__dirname, '..');
const entry = path.join(root, 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  const { execFileSync } = require('child_process');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
require(entry).main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`aks-identity-auditor: ${err && err.message ? err.message : err}\n`); process.exitCode = 2; },
);
