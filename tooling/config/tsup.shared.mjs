// One tsup configuration for every published package: ESM, declarations, source maps, and the
// CommonJS entry `dist/index.cjs` (see docs/decisions/0008-publishing-esm-require-and-optional-parts.md),
// and `dist/<name>.cjs` for a subpath export `./<name>` whose `require` condition names it.
// A package's tsup.config.mjs calls packageBuild() with its entry points.
import { execSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { defineConfig } from "tsup";

/**
 * The text of `dist/index.cjs`, the `require` condition of a package's exports (or of
 * `dist/<name>.cjs` for a subpath export: `packageName` is then the specifier, such as
 * `@snn/core/internal`, and `module` its ES module, `./internal.js`). The packages are ES modules
 * only; this entry hands `require("<name>")` to Node's require() of ES modules (Node 20.19+,
 * 22.12+), so CommonJS callers get the very same module instances as `import` callers. Where Node
 * cannot do that (older releases, or `--no-experimental-require-module`) it throws an error that
 * says to use `import` instead.
 */
export function requireEntrySource(packageName, module = "./index.js") {
  const quoted = JSON.stringify(packageName);
  const advice =
    `Use import instead: \`import { ... } from ${quoted}\` in an ES module (.mjs, or "type": "module" in package.json), ` +
    `or \`const m = await import(${quoted})\` from CommonJS. ` +
    "Node 20.19+ and 22.12+ load ES modules with require() unless --no-experimental-require-module is set.";
  return `"use strict";
// CommonJS entry of ${packageName}, an ES module package: require() of ES modules (Node 20.19+,
// 22.12+) loads ${module}; elsewhere this throws an error that says to use import.
try {
  module.exports = require(${JSON.stringify(module)});
} catch (error) {
  const code = error && error.code;
  if (code !== "ERR_REQUIRE_ESM" && code !== "ERR_REQUIRE_ASYNC_MODULE") throw error;
  const wrapped = new Error(${JSON.stringify(`${packageName} is an ES module and this Node (`)} + process.version + ${JSON.stringify(`) cannot load it with require(). ${advice}`)});
  wrapped.code = "ERR_SNN_USE_IMPORT";
  wrapped.cause = error;
  throw wrapped;
}
`;
}

function manifest() {
  return JSON.parse(readFileSync(join(process.cwd(), "package.json"), "utf8"));
}

/**
 * The CommonJS entries to write for these tsup entries: `dist/index.cjs` for `src/index.ts`, and
 * `dist/<name>.cjs` for an entry `src/<name>.ts` whose subpath export `./<name>` has the
 * `require` condition `./dist/<name>.cjs`. Each is `{ file, specifier, module }`.
 */
function requireEntries(entry) {
  const pkg = manifest();
  const out = [];
  for (const source of entry) {
    const match = /^src\/([\w-]+)\.ts$/.exec(source);
    if (!match) continue;
    const name = match[1];
    if (name === "index") {
      out.push({ file: "index.cjs", specifier: pkg.name, module: "./index.js" });
      continue;
    }
    const target = pkg.exports?.[`./${name}`];
    if (target && typeof target === "object" && target.require === `./dist/${name}.cjs`)
      out.push({ file: `${name}.cjs`, specifier: `${pkg.name}/${name}`, module: `./${name}.js` });
  }
  return out;
}

/**
 * The build of a package. `overrides` replace the defaults, except `onSuccess` (a shell command
 * or a function), which runs after the CommonJS entries are written rather than instead of them.
 */
export function packageBuild(entry = ["src/index.ts"], overrides = {}) {
  const { onSuccess: packageOnSuccess, ...rest } = overrides;
  const onSuccess = async () => {
    for (const { file, specifier, module } of requireEntries(entry))
      await writeFile(join(process.cwd(), "dist", file), requireEntrySource(specifier, module));
    if (typeof packageOnSuccess === "string") execSync(packageOnSuccess, { stdio: "inherit" });
    else if (typeof packageOnSuccess === "function") return packageOnSuccess();
    return undefined;
  };
  return defineConfig({
    entry,
    format: ["esm"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    splitting: false,
    treeshake: true,
    onSuccess,
    ...rest,
  });
}
