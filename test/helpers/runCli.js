// Runs the CLI from its TypeScript sources in a child process (no dist/ needed): `.ts` files are
// compiled on load with @swc/core, the compiler jest uses. Arguments after this file go to main().
'use strict';
const { transformSync } = require('@swc/core');
const fs = require('fs');
const path = require('path');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const { main } = require(path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts'));
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`aks-identity-auditor: ${error && error.message ? error.message : error}\n`);
    process.exitCode = 2;
  },
);
