// Typed linting: the Pulumi rules need type information to see that a value is an Output.
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";
import stylistic from "@stylistic/eslint-plugin";

export default tseslint.config(
    { ignores: ["node_modules/**", "scratch/**", "bin-ts/**", "policy/core/**", "**/*.js", "**/*.mjs"] },
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { "@pulumi": pulumi, "@stylistic": stylistic },
        rules: {
            // Outputs in template literals print as a warning string, not their value: use pulumi.interpolate.
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            // Prettier wraps code at 120 columns but cannot split a string or a comment: this catches those.
            // Only URLs are let through (they cannot be split); strings, templates and comments count.
            "@stylistic/max-len": ["error", { code: 120, tabWidth: 4, ignoreUrls: true }],
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
            ],
        },
    },
);
