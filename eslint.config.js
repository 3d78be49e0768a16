// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/", ".run/", ".tools/", "dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits is an error nobody sees: the one rule this codebase cannot do without.
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // node:test collects describe/it itself; their returned promises are not ours to await.
          allowForKnownSafeCalls: [
            {
              from: "package",
              package: "node:test",
              name: ["describe", "it", "test", "suite", "before", "after"],
            },
          ],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-restricted-syntax": [
        "error",
        { selector: "TSEnumDeclaration", message: "Use an `as const` object and a string-literal union." },
      ],
    },
  },
  {
    // The product (and the tools beside it) never imports the test harness (harness/): it is what test/, bench/
    // and labs/ share.
    files: ["libs/*/src/**/*.ts", "services/*/src/**/*.ts", "examples/**/*.ts", "tools/*/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { regex: "(^|/)harness/", message: "The product does not import the test harness." },
            {
              regex: "^@kafka-fleet/[^/]+/internal$",
              message:
                "The product uses the libraries' APIs; a ./internal entry is for the library's own unit tests.",
            },
          ],
        },
      ],
    },
  },
  {
    // libs/kafka stands on its own: it takes a logger and instruments as small interfaces (src/instruments.ts)
    // and leaves hints (variables, make targets) to the services. Of the project it may use libs/serde and
    // libs/tracing (its producers and consumer carry trace context) only: neither depends on anything of the project.
    files: ["libs/kafka/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^@kafka-fleet/(?!(serde|tracing)$)",
              message:
                "libs/kafka depends on no other kafka-fleet package but @kafka-fleet/serde and @kafka-fleet/tracing.",
            },
            {
              regex: "^\\.\\./\\.\\./",
              message: "libs/kafka imports nothing from outside its own folder.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.js"],
    ...tseslint.configs.disableTypeChecked,
  },
);
