/**
 * The pieces every code site of the step program is made of (step-program.ts, custom-update-site.ts):
 * a snippet with its analysis and random-number field, the site's combined storage use and the
 * typed storage reference of each binding it names.
 */
import type { PlannedPopulation, PlannedVar } from "./plan-types";
import { RANDOM_FIELD, type RandomFieldSite } from "./rng";
import { analyseSnippet, analyseStorage, bindingKey } from "./snippet/analyse";
import type { Binding, CheckedSnippet } from "./snippet/ast";
import type {
  AdditionalInputRef,
  CodeSiteBase,
  Hook,
  SiteSnippet,
  SiteStorage,
  SiteStorageRef,
  StorageOwner,
  VarStorageRef,
} from "./step-program";

/** A snippet of a site, with core's analysis and its random field; null where there is no code. */
export function siteSnippet(
  hook: Hook,
  snippet: CheckedSnippet | null,
  field: RandomFieldSite,
): SiteSnippet | null {
  if (snippet === null) return null;
  return { hook, snippet, analysis: analyseSnippet(snippet), field: RANDOM_FIELD[field] };
}

/** The analysis and storage of a site's snippets; `refOf` gives a binding's storage, or null where it is not stored. */
export function codeSite(
  snippets: readonly (SiteSnippet | null)[],
  rngStream: number,
  refOf: (binding: Binding) => SiteStorageRef | null,
): CodeSiteBase {
  const present = snippets.filter((s): s is SiteSnippet => s !== null);
  const usage = analyseStorage(present.map((s) => s.snippet));
  const storage = new Map<string, SiteStorage>();
  for (const { binding, type } of usage.loads) {
    const ref = refOf(binding);
    if (ref === null) continue;
    const key = bindingKey(binding);
    storage.set(key, { binding, type, written: usage.stored.has(key), ref });
  }
  return { snippets: present, usage, rngStream, storage };
}

/** The owner of a projection's variables. */
export function projectionOwner(index: number): StorageOwner {
  return { kind: "projection", index };
}

/** The storage of variable `name` of `vars` (a part of a group); an internal error where there is none. */
export function varRef(
  owner: StorageOwner,
  role: VarStorageRef["role"],
  vars: readonly PlannedVar[],
  name: string,
): VarStorageRef {
  const v = vars.find((x) => x.name === name);
  if (!v)
    throw new Error(
      `internal error: the plan has no ${role} variable '${name}' of ${owner.kind} ${owner.index}`,
    );
  return { kind: "var", owner, role, name, type: v.type, batched: v.batched };
}

/** The storage of a population's additional input. */
export function additionalInput(pop: PlannedPopulation, name: string): AdditionalInputRef {
  if (!pop.additionalInputs.includes(name))
    throw new Error(`internal error: population '${pop.name}' has no additional input '${name}'`);
  return { kind: "additionalInput", population: pop.index, name };
}
