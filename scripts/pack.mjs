#!/usr/bin/env node
// Packs every public workspace package (not `private`) with `pnpm pack` into one folder, as
// they would be published: `workspace:` ranges rewritten by pnpm, the manifest cleaned by the
// `beforePacking` hook of .pnpmfile.cjs. Build first (`pnpm build`): the tarballs take `dist`.
//
//   node scripts/pack.mjs [DEST]      DEST defaults to ./.packs; prints one JSON line:
//                                     {"dest": "...", "packages": {"@snn/core": "/.../snn-core-0.1.0.tgz", ...}}
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The public packages of the workspace: { name, version, folder }. */
export function publicPackages() {
  const found = [];
  for (const group of ["packages", "apps", "tooling"]) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir).sort()) {
      const manifest = join(dir, entry, "package.json");
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, "utf8"));
      if (pkg.private === true) continue;
      found.push({ name: pkg.name, version: pkg.version, folder: join(dir, entry) });
    }
  }
  return found;
}

/** Packs every public package into `dest` (one `pnpm -r pack`); returns name -> tarball path. */
export function packAll(dest) {
  mkdirSync(dest, { recursive: true });
  const packages = publicPackages();
  for (const { name, folder } of packages) {
    if (!existsSync(join(folder, "dist"))) {
      throw new Error(`${name} has no dist/ in ${folder}: run \`pnpm build\` first.`);
    }
  }
  const filters = packages.flatMap(({ name }) => ["--filter", name]);
  let out;
  try {
    out = execFileSync("pnpm", ["-r", ...filters, "pack", "--pack-destination", dest, "--json"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    // pnpm reports a refused package (e.g. by the beforePacking hook) as JSON on stdout.
    const said = `${error.stdout ?? ""}\n${error.stderr ?? ""}`;
    const reason = /"message":\s*"([^"]*)"/.exec(said)?.[1] ?? said.trim();
    throw new Error(`pnpm pack failed: ${reason}`, { cause: error });
  }
  const tarballs = {};
  for (const { name, filename } of JSON.parse(out)) tarballs[name] = resolve(dest, filename);
  for (const { name } of packages) {
    if (tarballs[name] === undefined) throw new Error(`pnpm pack made no tarball of ${name}.`);
  }
  return tarballs;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dest = resolve(process.argv[2] ?? join(root, ".packs"));
  try {
    const packages = packAll(dest);
    process.stdout.write(`${JSON.stringify({ dest, packages })}\n`);
  } catch (error) {
    process.stderr.write(`pack: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
