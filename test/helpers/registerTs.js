/**
 * `node -r ./test/helpers/registerTs.js file.ts`: runs the TypeScript sources in a child process
 * (tests with real processes) compiled by the same SWC the test runner uses, without a build.
 */
const { readFileSync } = require('fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
