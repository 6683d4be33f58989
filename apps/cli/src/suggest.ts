/**
 * "Did you mean" hints for mistyped commands, options and values: the closest known word by
 * edit distance (insertions, deletions, substitutions and swaps of two neighbours each cost 1),
 * or a known word the typed one is a unique prefix of (`--batch` for `--batch-size`).
 */

/** Edit distance between `a` and `b`, counting a swap of two adjacent characters as one edit. */
export function editDistance(a: string, b: string): number {
  // Three rolling rows: the one before the previous (for swaps), the previous and the current.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, before[j - 2]! + 1);
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}

/** The largest distance still taken for a typo of a word of this length. */
function tolerance(length: number): number {
  if (length <= 2) return 0;
  if (length <= 3) return 1;
  if (length <= 7) return 2;
  return 3;
}

/**
 * The known word closest to `typed`, or undefined when none is close enough. A word that differs
 * only in case wins; then the smallest edit distance (ties: the earlier word); then a word that
 * `typed` (3+ characters) is the beginning of, when exactly one is.
 */
export function closestMatch(typed: string, known: Iterable<string>): string | undefined {
  const words = [...known].filter((w) => w !== typed);
  const lower = typed.toLowerCase();
  const sameLetters = words.find((w) => w.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  let best: string | undefined;
  let bestDistance = tolerance(typed.length) + 1;
  for (const word of words) {
    const distance = editDistance(lower, word.toLowerCase());
    if (distance < bestDistance) {
      best = word;
      bestDistance = distance;
    }
  }
  if (best !== undefined) return best;
  const extensions =
    typed.length >= 3 ? words.filter((w) => w.toLowerCase().startsWith(lower)) : [];
  return extensions.length === 1 ? extensions[0] : undefined;
}

/** " (did you mean 'X'?)" for the closest known word, or "" when none is close. */
export function didYouMean(typed: string, known: Iterable<string>): string {
  const match = closestMatch(typed, known);
  return match === undefined ? "" : ` (did you mean '${match}'?)`;
}

/**
 * The error message for a command line whose leading words name no command, given every
 * command's words (`train`, `data info`): an unknown group subcommand lists the group's
 * subcommands, and a near miss gets a "did you mean".
 */
export function unknownCommandMessage(
  argv: readonly string[],
  commandNames: readonly string[],
): string {
  const first = argv[0] ?? "";
  if (first.startsWith("-"))
    return `unknown option ${first}${didYouMean(first, ["--help", "--version"])}; give a command first.`;
  const groups = new Map<string, string[]>();
  for (const name of commandNames) {
    const [head, sub] = name.split(" ");
    if (sub !== undefined) groups.set(head!, [...(groups.get(head!) ?? []), sub]);
  }
  const subcommands = groups.get(first);
  if (subcommands !== undefined) {
    const second = argv[1];
    const list = subcommands.join(", ");
    if (second === undefined || second.startsWith("-"))
      return `'snn ${first}' needs a subcommand: ${list}.`;
    return `unknown subcommand '${first} ${second}'${didYouMean(second, subcommands)}; the ${first} subcommands are: ${list}.`;
  }
  const firstWords = [...new Set(commandNames.map((n) => n.split(" ")[0]!))];
  return `unknown command '${first}'${didYouMean(first, firstWords)}.`;
}
