/**
 * The CLI's optional packages (optional peer dependencies of @snn/cli, not installed with it):
 * loading one by dynamic import, and the error that says exactly what to install when it is
 * missing.
 */
import { readFileSync } from "node:fs";
import { UsageError } from "./errors";

/** An optional package: its npm name and what it brings, for the message when it is missing. */
export interface OptionalPackage {
  readonly name: string;
  /** What it adds, e.g. "the WebGPU backend (Dawn, about 140 MB installed)". */
  readonly provides: string;
}

/** The WebGPU backend: WGSL code generation and Dawn. */
export const WGSL_BACKEND: OptionalPackage = {
  name: "@snn/backend-wgsl",
  provides:
    "the WebGPU backend (WGSL code generation and Dawn, the `webgpu` package: about 140 MB installed)",
};

/** The benchmark suites. */
export const BENCH: OptionalPackage = {
  name: "@snn/bench",
  provides: "the benchmark suites (it brings the WebGPU backend with it, about 140 MB installed)",
};

/**
 * The version to install beside this CLI: the range its package.json declares for `name` as a
 * peer, as an exact version (`^0.1.0` -> `0.1.0`); undefined inside the workspace (`workspace:`)
 * or when the manifest cannot be read.
 */
export function peerVersion(
  name: string,
  manifestUrl: URL = new URL("../package.json", import.meta.url),
): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(manifestUrl, "utf8")) as {
      peerDependencies?: Record<string, string>;
    };
    const range = manifest.peerDependencies?.[name];
    if (range === undefined || range.startsWith("workspace:")) return undefined;
    const exact = /^[\^~]?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(range.trim());
    return exact?.[1];
  } catch {
    return undefined;
  }
}

/** True when `error` says that the package `name` itself (not one of its imports) cannot be found. */
export function isMissingPackage(error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") return false;
  return error.message.includes(`'${name}'`) || error.message.includes(`"${name}"`);
}

/** The one-line message for a missing optional package; `needed` names what needs it (e.g. "--backend webgpu"). */
export function missingPackageMessage(
  pkg: OptionalPackage,
  needed: string,
  version = peerVersion(pkg.name),
): string {
  const spec = version === undefined ? pkg.name : `${pkg.name}@${version}`;
  return (
    `${needed} needs ${pkg.name}, ${pkg.provides}, which is an optional package of @snn/cli and is not installed. ` +
    `Install it where snn is installed: \`npm install -g ${spec}\` for a global snn, or \`npm install ${spec}\` in the project that has @snn/cli.`
  );
}

/**
 * Runs `load` (a dynamic `import()` of `pkg`); when the package is not installed, throws a
 * `UsageError` (exit status 2, with the usage of `command`) that says what to install.
 */
export async function importOptional<T>(
  pkg: OptionalPackage,
  load: () => Promise<T>,
  needed: string,
  command?: string,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, pkg.name))
      throw new UsageError(missingPackageMessage(pkg, needed), command);
    throw error;
  }
}
