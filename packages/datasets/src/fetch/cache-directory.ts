import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/** Where `fetchDataset` puts files: the environment and platform it reads. */
export interface CacheDirectoryOptions {
  /** Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default `process.platform`. */
  readonly platform?: string;
  /** Default `os.homedir()`. */
  readonly home?: string;
}

/**
 * The data cache directory: `$SNN_DATA_DIR` when set, else `$XDG_CACHE_HOME/snn` (an absolute
 * `XDG_CACHE_HOME`), else `%LOCALAPPDATA%\snn` on Windows, else `~/.cache/snn`. Each dataset
 * gets a folder in it (`shd/`, `ssc/`, `mnist/`).
 */
export function defaultDataDirectory(options: CacheDirectoryOptions = {}): string {
  const env = options.env ?? process.env;
  const explicit = env["SNN_DATA_DIR"];
  if (explicit !== undefined && explicit !== "") return resolve(explicit);
  const xdg = env["XDG_CACHE_HOME"];
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, "snn");
  const platform = options.platform ?? process.platform;
  const local = env["LOCALAPPDATA"];
  if (platform === "win32" && local !== undefined && local !== "") return join(local, "snn");
  return join(options.home ?? homedir(), ".cache", "snn");
}
