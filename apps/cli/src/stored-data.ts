/**
 * The data path a run's config.json stores, as the commands that read the run use it.
 *
 * `snn train` stores `--data` absolutely, so a new run reads the same files from any folder.
 * Runs made before kept the path as typed, relative to the folder they were trained in, which
 * they do not record. Reading such a path against the current folder reads whatever that folder
 * holds under the name: other data, scored or trained on without a word. The rule here:
 *
 * - an absolute path, `full` and `embedded` are used as they are;
 * - a relative path is looked up from the run folder and from each folder above it (a run
 *   folder is made inside the folder it was trained in, or below it: `runs/<name>`, `--out x`).
 *   When exactly one set of files answers, and the current folder names no other one, that is
 *   the run's data;
 * - when the path names different files from two of those folders, or from the current folder
 *   and one of them, it is ambiguous, and when it names files only from the current folder (which
 *   need not be the folder the run was trained in), it is not known to be the run's data: both are
 *   refused, naming the candidates and what to do (`--data PATH`, or the absolute path in
 *   config.json);
 * - `snn train --resume` records the path it resolved (or the `--data` given for it) in
 *   config.json, absolutely, so that the run is migrated once and for all.
 *
 * The current folder is thus never what makes a relative path be read: it can only make one be
 * refused. The result depends on where the run folder is, not on where the command is run.
 *
 * `snn train --config FILE` reads `data` from a file too: a relative path there is relative to
 * the file's folder, as in any configuration file (a run's config.json, with run.json beside it,
 * follows the rule above). See {@link resolveConfigFileDataPath}.
 */
import { existsSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { EMBEDDED_DATA, FULL_DATA } from "./data";
import { DataError } from "./errors";

/** Whether config.json's `data` is a relative path of a run made before paths were stored absolutely. */
export function isLegacyRelativeDataPath(data: string | undefined): data is string {
  return data !== undefined && data !== FULL_DATA && data !== EMBEDDED_DATA && !isAbsolute(data);
}

/** The folders a run folder may have been trained from: itself, then every folder above it. */
function trainingFolderCandidates(runRoot: string): string[] {
  const out: string[] = [];
  for (let at = resolve(runRoot); ; at = dirname(at)) {
    out.push(at);
    if (dirname(at) === at) return out;
  }
}

/** The real location of an existing path (symbolic links followed), to tell two names of one file apart from two files. */
function identity(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * The absolute path of the data that `configFile` (the config.json of the run in `runRoot`)
 * names in `data`: `data` itself when it is absolute, `full` or `embedded`; else the
 * one set of files the rule above finds. Throws a {@link DataError} naming the candidates
 * when the path is ambiguous, found only from the current folder `cwd`, or found nowhere;
 * `dataOption` is how to give the path instead (`--data PATH`).
 */
export function resolveStoredDataPath(
  data: string,
  runRoot: string,
  cwd: string,
  configFile: string,
  dataOption = "--data PATH",
): string {
  if (!isLegacyRelativeDataPath(data)) return data;
  const found = new Map<string, string>();
  for (const base of trainingFolderCandidates(runRoot)) {
    const path = resolve(base, data);
    if (!existsSync(path)) continue;
    const id = identity(path);
    if (!found.has(id)) found.set(id, path);
  }
  const fromCwd = resolve(cwd, data);
  const cwdId = existsSync(fromCwd) ? identity(fromCwd) : undefined;
  const stored = `${configFile} stores the data path "${data}" relative to the folder the run was trained in, which it does not record (runs made before data paths were stored absolutely)`;
  const fix = `give ${dataOption} with the run's data, or write its absolute path into config.json ("data")`;
  if (found.size === 1 && (cwdId === undefined || found.has(cwdId))) {
    return [...found.values()][0]!;
  }
  if (found.size === 0 && cwdId === undefined) {
    throw new DataError(
      `${stored}, and it names nothing from the run folder, the folders above it or ${cwd}; ${fix}.`,
    );
  }
  if (found.size === 0) {
    throw new DataError(
      `${stored}, and it names nothing from the run folder or the folders above it, only ${fromCwd} from the current folder, which need not be where the run was trained; if that is the run's data, ${fix}.`,
    );
  }
  const candidates = [...found.values()];
  if (cwdId !== undefined && !found.has(cwdId)) candidates.push(fromCwd);
  throw new DataError(
    `${stored}, and it names different data from different folders (${candidates.join(", ")}), so it is ambiguous; ${fix}.`,
  );
}

/**
 * The absolute data path a `--config FILE` names in `data` (`configFile` absolute): `data`
 * itself when it is absolute, `full` or `embedded`; for a run's config.json (run.json beside it)
 * the rule of {@link resolveStoredDataPath}; else the path relative to the file's folder. A path
 * that does not exist there but does from the current folder `cwd` is refused (a
 * {@link DataError} naming both), not read from the current folder: which folder a command runs
 * in must not change what a configuration file trains on.
 */
export function resolveConfigFileDataPath(data: string, configFile: string, cwd: string): string {
  if (!isLegacyRelativeDataPath(data)) return data;
  const folder = dirname(configFile);
  if (existsSync(join(folder, "run.json")))
    return resolveStoredDataPath(data, folder, cwd, configFile, "--data PATH");
  const path = resolve(folder, data);
  const fromCwd = resolve(cwd, data);
  if (!existsSync(path) && fromCwd !== path && existsSync(fromCwd)) {
    throw new DataError(
      `${configFile} names the data "${data}", a path relative to the config file's folder: ${path} does not exist (${fromCwd}, from the current folder, does, but is not read). Write the path relative to ${folder} or absolutely into the config file ("data"), or give --data PATH.`,
    );
  }
  return path;
}
