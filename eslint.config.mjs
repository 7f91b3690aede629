// ESLint (flat config) with typescript-eslint's type-aware rules over the TypeScript of src/,
// test/ and bench/ (the files tsconfig.json covers); plain JavaScript files are linted without
// type information. Formatting is Prettier's job (.prettierrc.json), not ESLint's.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeGlobals = {
  require: 'readonly',
  module: 'writable',
  exports: 'writable',
  process: 'readonly',
  console: 'readonly',
  Buffer: 'readonly',
  __dirname: 'readonly',
  __filename: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  URL: 'readonly',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Unused code is removed, not kept; `_name` marks a parameter a signature requires.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // A promise nobody awaits loses its failure: await it, or mark it `void` on purpose.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Lazy loading of heavy modules (the Azure SDK, Azurite) is deliberate: see the call sites.
      '@typescript-eslint/no-require-imports': 'off',
      // Input arrives as untyped JSON (exports, ARM, Graph, Event Grid) and is validated by the
      // normalisers field by field; the no-unsafe-* family would flag every such read without
      // making it safer. Tests likewise read parsed JSON. Kept off deliberately.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Async functions without await implement async ports (Notifier, EstateSource): by design.
      '@typescript-eslint/require-await': 'off',
      // Control characters in patterns are what key and redaction rules must match.
      'no-control-regex': 'off',
      // Values stringified in messages are validated input or ids; SDK and port methods passed
      // by reference do not use `this`. Both rules flag those sites without finding a defect.
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { sourceType: 'commonjs', globals: nodeGlobals, parserOptions: { projectService: false } },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
  {
    // The dashboard's one script runs in the browser (progressive enhancement: copy buttons).
    files: ['src/dashboard/assets/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { window: 'readonly', document: 'readonly', navigator: 'readonly' } },
  },
  {
    // Maintenance scripts run on Node 22, which has fetch.
    files: ['test/infra/bicep-types/refresh.js', 'scripts/**/*.js'],
    languageOptions: { globals: { ...nodeGlobals, fetch: 'readonly' } },
  },
);
