/**
 * What differs between two sweeps of one name, in words: for the message that refuses a
 * different sweep under an existing name, so the user sees which runs or options changed.
 */
import { isAbsolute } from "node:path";
import { expandRuns } from "./runs";
import type { ConfigValue, SweepSpec } from "./sweep-file";

/** At most this many run ids or options are named; the rest are counted. */
const MAX_NAMED = 3;

function listed(items: readonly string[]): string {
  const named = items.slice(0, MAX_NAMED).join(", ");
  return items.length > MAX_NAMED ? `${named} and ${items.length - MAX_NAMED} more` : named;
}

function shown(value: ConfigValue | undefined): string {
  return value === undefined ? "unset" : JSON.stringify(value);
}

/**
 * The differences of `now` from `before` (their runs and the options of runs both have), as one
 * clause such as `"data" was "../shd", now "/home/me/shd" (in 4 runs)`; with a note when a
 * relative path became absolute. Empty when the two compute the same runs.
 */
export function describeSweepDifference(before: SweepSpec, now: SweepSpec): string {
  const oldRuns = new Map(expandRuns(before).map((r) => [r.id, r.train]));
  const newRuns = new Map(expandRuns(now).map((r) => [r.id, r.train]));
  const parts: string[] = [];
  const removed = [...oldRuns.keys()].filter((id) => !newRuns.has(id));
  const added = [...newRuns.keys()].filter((id) => !oldRuns.has(id));
  if (removed.length > 0) parts.push(`runs ${listed(removed)} are gone`);
  if (added.length > 0) parts.push(`runs ${listed(added)} are new`);

  /** Option -> the first change seen and how many runs have a change in it. */
  const changed = new Map<
    string,
    { from: ConfigValue | undefined; to: ConfigValue | undefined; runs: number }
  >();
  for (const [id, train] of newRuns) {
    const old = oldRuns.get(id);
    if (old === undefined) continue;
    for (const key of new Set([...Object.keys(old), ...Object.keys(train)])) {
      if (old[key] === train[key]) continue;
      const seen = changed.get(key);
      if (seen) seen.runs += 1;
      else changed.set(key, { from: old[key], to: train[key], runs: 1 });
    }
  }
  const options = [...changed.entries()].map(
    ([key, c]) =>
      `"${key}" was ${shown(c.from)}, now ${shown(c.to)} (in ${c.runs} of ${newRuns.size} runs)`,
  );
  if (options.length > 0) parts.push(listed(options));
  const relativeMadeAbsolute = [...changed.values()].some(
    (c) =>
      typeof c.from === "string" &&
      typeof c.to === "string" &&
      !isAbsolute(c.from) &&
      isAbsolute(c.to),
  );
  if (relativeMadeAbsolute)
    parts.push(
      'relative paths in a sweep file ("data", "initFrom") are now made absolute from the sweep file\'s folder, so a sweep submitted with relative paths by an older snn has another fingerprint',
    );
  return parts.join("; ");
}
