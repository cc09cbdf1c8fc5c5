/**
 * Lint (`npm run lint`, part of `npm test`): typescript-eslint's recommended rules with type information
 * (the tsconfig zones through the project service), eslint-plugin-lit and eslint-plugin-wc's recommended
 * rules for the elements and controllers. Formatting is Prettier's job (.prettierrc.json), not ESLint's.
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import lit from 'eslint-plugin-lit';
import wc from 'eslint-plugin-wc';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'dist-demo/',
      '.cache/',
      'node_modules/',
      'test-results/',
      // generated
      'src/protocol/constants.ts',
      // declarations of sh5.ts's JavaScript twin: TypeScript reads sh5.ts instead, so no project has it
      'test/unit/codecs/helpers/sh5.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `_name` marks a parameter a signature needs and the body does not.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `a[i]!` says "in range" where the compiler cannot know it; the codecs rely on it for readability.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Methods of comlink APIs and of interfaces are async by contract, whether or not they await.
      '@typescript-eslint/require-await': 'off',
      // Passing on a caught `unknown` unchanged (catch (e) { reject(e) }) keeps the original error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  { files: ['src/elements/**/*.ts', 'src/controllers/**/*.ts', 'test/browser/**/*.ts'], ...lit.configs['flat/recommended'] },
  { files: ['src/elements/**/*.ts', 'src/controllers/**/*.ts', 'test/browser/**/*.ts'], ...wc.configs['flat/recommended'] },
  {
    // Tests reach into untyped page globals (page.evaluate, window.spiceTest) and vitest's asymmetric
    // matchers (expect.stringMatching) are typed `any`: the no-unsafe-* rules would flag every such line.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  { files: ['**/*.mjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['scripts/**', 'bench/**/*.mjs', 'test/**/*.mjs', '*.config.*'], languageOptions: { globals: globals.node } },
);
