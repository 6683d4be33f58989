// ESLint for the whole tree (`pnpm lint`; scripts/test.sh runs it in CI). Formatting is
// Prettier's job, so no stylistic rules here. The rules are syntax-only (no type information):
// docs/decisions/0009-format-lint-typecheck.md says why and what the type-aware run would cost.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/dist/**",
      "**/node_modules/**",
      "**/coverage/**",
      "**/.turbo/**",
      "**/runs/**",
      "**/.snn-tmp/**",
      ".gl/**",
      ".gpu-check/**",
      ".packs/**",
      "apps/docs/docs/**",
      // Golden files of generated code: their bytes are the test (as in .prettierignore).
      "**/golden/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // Bugs the recommended sets leave out.
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-implicit-coercion": ["error", { boolean: false }],
      "no-self-compare": "error",
      "no-eval": "error",
      "no-new-func": "error",
      "no-template-curly-in-string": "error",
      "no-unmodified-loop-condition": "error",
      // `for (await) … of` that returns or breaks at once is how the code takes an iterable's first item.
      "no-unreachable-loop": ["error", { ignore: ["ForOfStatement"] }],
      "no-constructor-return": "error",
      "array-callback-return": "error",
      // Tests match printed, column-aligned text; two literal spaces read better than ` {2}`.
      "no-regex-spaces": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  {
    // Code that runs in a browser (the docs site) or in either place (the WebGPU backend, the
    // e-prop trace thread, which also runs as a Web Worker).
    files: ["apps/docs/**", "packages/backend-wgsl/**", "packages/eprop/**", "packages/plot/**"],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
