// One vitest configuration for every package. Workspace packages resolve to their sources,
// so tests run against the code beside them without a build; `pool: forks` isolates crashes
// of native add-ons (Dawn) from the rest of the run.
import { readdirSync, existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function workspaceSourceAliases() {
  const aliases = [];
  for (const group of ["packages", "apps", "tooling"]) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const pkgFile = join(dir, name, "package.json");
      if (!existsSync(pkgFile)) continue;
      const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
      // "." is src/index.ts; a subpath export "./x" of the manifest is src/x.ts.
      const subpaths = Object.keys(pkg.exports ?? {}).filter(
        (sub) => sub.startsWith("./") && !sub.includes("*") && sub !== "./package.json",
      );
      for (const sub of [".", ...subpaths]) {
        const file = join(dir, name, sub === "." ? "src/index.ts" : `src/${sub.slice(2)}.ts`);
        if (!existsSync(file)) continue;
        const specifier = sub === "." ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
        aliases.push({ find: new RegExp(`^${specifier.replace("/", "\\/")}$`), replacement: file });
      }
    }
  }
  return aliases;
}

export function packageTests(overrides = {}) {
  return defineConfig({
    resolve: { alias: workspaceSourceAliases() },
    test: {
      pool: "forks",
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      passWithNoTests: true,
      testTimeout: 60_000,
      hookTimeout: 60_000,
      reporters: ["default", ["json", { outputFile: ".vitest-results.json" }]],
      ...overrides,
    },
  });
}
