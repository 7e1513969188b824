import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PLATFORM_MODULES = [
  'admin',
  'bus',
  'events',
  'http',
  'inbox',
  'observability',
  'outbound',
  'settings',
  'store',
  'webhooks',
  'whippy-api',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        performance: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  // The layering of STYLE.md: the store knows no other module; an integration builds on
  // bus, events and outbound only, never on the webhooks, the inbox or the store.
  {
    files: ['src/platform/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Its own migrations/ reach it as `../database.js`; config is shared by all.
              group: [
                '**/integrations/**',
                ...PLATFORM_MODULES.filter((m) => m !== 'store').map((m) => `**/${m}/**`),
              ],
              message: 'platform/store imports no other module of the platform.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/integrations/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/platform/webhooks/**', '**/platform/inbox/**', '**/platform/store/**'],
              message: 'An integration imports platform/bus, platform/events and platform/outbound only.',
            },
          ],
        },
      ],
    },
  },
);
