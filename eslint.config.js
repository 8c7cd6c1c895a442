// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

/**
 * Layers from DESIGN.md: a layer may import only the layers below it.
 * Each entry: the folder, and the folders it must not import.
 */
const layers = [
  ['utils', ['apis', 'kube', 'cloudprovider', 'scheduling', 'state', 'controllers', 'sim', 'operator', 'cli']],
  ['apis', ['kube', 'cloudprovider', 'scheduling', 'state', 'controllers', 'sim', 'operator', 'cli']],
  ['kube', ['cloudprovider', 'scheduling', 'state', 'controllers', 'sim', 'operator', 'cli']],
  ['cloudprovider', ['scheduling', 'state', 'controllers', 'sim', 'operator', 'cli']],
  ['scheduling', ['kube', 'state', 'controllers', 'sim', 'operator', 'cli']],
  ['state', ['controllers', 'sim', 'operator', 'cli']],
  ['controllers', ['sim', 'operator', 'cli']],
  ['sim', ['operator', 'cli']],
  ['operator', ['cli']],
];

const boundaryConfigs = layers.map(([layer, forbidden]) => ({
  files: [`src/${layer}/**/*.ts`],
  ignores: ['src/**/*.test.ts'],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [
        ...forbidden.map((f) => ({ group: [`**/${f}/*`, `**/${f}`], message: `${layer}/ must not import ${f}/ (layers in DESIGN.md)` })),
        ...(layer === 'kube' ? [] : [{ group: ['@kubernetes/client-node'], message: 'only kube/ imports @kubernetes/client-node' }]),
        ...(layer === 'cloudprovider' ? [] : [{ group: ['@aws-sdk/*'], message: 'only cloudprovider/aws/ imports @aws-sdk/*' }]),
      ],
    }],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'bin/**', 'coverage/**', 'test-artifacts/**', '**/.*.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': ['error', { maxDepth: 10 }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'use the injected Clock (utils/clock.ts)' },
        { name: 'setInterval', message: 'use the injected Clock (utils/clock.ts)' }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'use the injected Clock (utils/clock.ts)' }],
    },
  },
  ...boundaryConfigs,
  {
    // The real clock and the outer shell may touch real time.
    files: ['src/utils/clock.ts', 'src/cli/**/*.ts', 'src/operator/**/*.ts', 'src/kube/real/**/*.ts', 'src/cloudprovider/aws/**/*.ts', 'bench/**/*.ts', 'scripts/**', 'src/**/*.test.ts', 'src/test/**/*.ts'],
    rules: { 'no-restricted-globals': 'off', 'no-restricted-properties': 'off' },
  },
  {
    files: ['src/**/*.test.ts', 'src/test/**/*.ts', 'bench/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off', // node:test's describe/it return promises that the runner awaits
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
