// pnpm hooks of the workspace. Only `beforePacking` (pnpm >= 10.28): it shapes the manifest
// that goes into every tarball made by `pnpm pack` / `pnpm publish`, so that what users install
// is clean:
//  - private packages (@snn/conformance, @snn/docs, @snn/tooling, ...) are never packed;
//  - `scripts` and `devDependencies` (workspace-only tooling) are dropped;
//  - `repository` (with the package's folder), `homepage` and `bugs` come from the root
//    package.json, the one place that names the repository;
//  - a package without its LICENSE file beside package.json is refused.
// `workspace:` ranges are rewritten by pnpm itself.
"use strict";
const { existsSync, readdirSync, readFileSync } = require("node:fs");
const { join, relative } = require("node:path");

const root = __dirname;
const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** name -> folder of every workspace package (the globs of pnpm-workspace.yaml are one level deep). */
function workspaceFolders() {
  const folders = new Map();
  for (const group of ["packages", "apps", "tooling"]) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir)) {
      const manifest = join(dir, entry, "package.json");
      if (!existsSync(manifest)) continue;
      const { name } = JSON.parse(readFileSync(manifest, "utf8"));
      if (typeof name === "string") folders.set(name, join(dir, entry));
    }
  }
  return folders;
}

function beforePacking(pkg) {
  if (pkg.private === true) {
    throw new Error(`${pkg.name} is private: it is never packed or published.`);
  }
  const folder = workspaceFolders().get(pkg.name);
  if (folder === undefined) throw new Error(`${pkg.name} is not a package of this workspace.`);
  if (!existsSync(join(folder, "LICENSE"))) {
    throw new Error(
      `${pkg.name} has no LICENSE file in ${relative(root, folder)}; copy the root LICENSE there.`,
    );
  }
  const { repository, homepage, bugs } = rootManifest;
  const directory = relative(root, folder).split("\\").join("/");
  const published = { ...pkg };
  delete published.scripts;
  delete published.devDependencies;
  published.repository = { ...repository, directory };
  published.homepage = `${homepage}/tree/main/${directory}#readme`;
  published.bugs = bugs;
  return published;
}

module.exports = { hooks: { beforePacking } };
