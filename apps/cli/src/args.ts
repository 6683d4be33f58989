/**
 * Command-line parsing on top of Node's `util.parseArgs`: typed option specs (numbers,
 * integers, choices), one-line errors as `UsageError`, and help text generated from the specs.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./errors";
import { didYouMean } from "./suggest";

/** Kinds of option value. */
export type OptionKind = "string" | "number" | "integer" | "boolean" | "choice";

/** One `--option` of a command. */
export interface OptionSpec {
  /** Long name without dashes, kebab-case (`batch-size`). */
  readonly name: string;
  /** One-letter alias without the dash. */
  readonly short?: string;
  readonly kind: OptionKind;
  /** Allowed values of a `choice` option. */
  readonly choices?: readonly string[];
  /** Placeholder for the value in help (`N`, `PATH`). */
  readonly valueName?: string;
  /** One sentence for `--help`. */
  readonly description: string;
  /** Default shown in help (informational; the command applies defaults itself). */
  readonly defaultText?: string;
  /** Smallest allowed value of a number option (inclusive). */
  readonly min?: number;
  /** Whether 0 is excluded for numbers (`min` exclusive). */
  readonly positive?: boolean;
}

/** A positional argument shown in help. */
export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
  /** Accepts several values (only the last positional). */
  readonly variadic?: boolean;
}

/** A (sub)command: its options, positionals, help and examples. */
export interface CommandSpec {
  /** As typed after `snn`: `train`, `data info`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Paragraph(s) for `--help`. */
  readonly description?: string;
  readonly positionals?: readonly PositionalSpec[];
  readonly options: readonly OptionSpec[];
  /** Example command lines, each with a comment. */
  readonly examples?: readonly { readonly command: string; readonly comment: string }[];
}

/** Parsed values: numbers for number options, booleans for flags, strings otherwise; absent when not given. */
export type OptionValues = Record<string, string | number | boolean | undefined>;

export interface ParsedCommand {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  /** `--help` or `-h` was given. */
  readonly help: boolean;
}

/** The `--help` option every command has. */
export const HELP_OPTION: OptionSpec = {
  name: "help",
  short: "h",
  kind: "boolean",
  description: "Show this help and exit.",
};

/**
 * Parses `argv` (the arguments after the command name) against a command's spec.
 * Throws `UsageError` naming the offending option or value.
 */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedCommand {
  const options = [...spec.options, HELP_OPTION];
  const config: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const option of options) {
    config[option.name] =
      option.short === undefined
        ? { type: option.kind === "boolean" ? "boolean" : "string" }
        : { type: option.kind === "boolean" ? "boolean" : "string", short: option.short };
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(describeParseError(error, spec), spec.name);
  }
  const help = parsed.values["help"] === true;
  const values: OptionValues = {};
  for (const option of spec.options) {
    const raw = parsed.values[option.name];
    if (raw === undefined) continue;
    values[option.name] = help
      ? undefined
      : convertOptionValue(option, raw as string | boolean, `--${option.name}`);
  }
  const positionals = parsed.positionals;
  if (!help) checkPositionals(spec, positionals);
  return { values, positionals, help };
}

/** Converts and checks one raw value (from the command line, a config file or the environment). */
export function convertOptionValue(
  option: OptionSpec,
  raw: string | boolean | number,
  where: string,
): string | number | boolean {
  switch (option.kind) {
    case "boolean":
      if (typeof raw === "boolean") return raw;
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      throw new UsageError(`${where} must be true or false, got ${JSON.stringify(raw)}.`);
    case "string":
      if (typeof raw !== "string" || raw === "")
        throw new UsageError(
          `${where} needs a value${option.valueName ? ` (${option.valueName})` : ""}.`,
        );
      return raw;
    case "choice": {
      const choices = option.choices ?? [];
      if (typeof raw !== "string" || !choices.includes(raw)) {
        const hint = typeof raw === "string" ? didYouMean(raw, choices) : "";
        throw new UsageError(
          `${where} must be one of ${choices.join(", ")}; got ${JSON.stringify(raw)}${hint}.`,
        );
      }
      return raw;
    }
    case "number":
    case "integer": {
      const value =
        typeof raw === "number"
          ? raw
          : typeof raw === "string" && raw.trim() !== ""
            ? Number(raw)
            : Number.NaN;
      if (!Number.isFinite(value))
        throw new UsageError(`${where} must be a number, got ${JSON.stringify(raw)}.`);
      if (option.kind === "integer" && !Number.isInteger(value))
        throw new UsageError(`${where} must be a whole number, got ${JSON.stringify(raw)}.`);
      if (option.positive === true && !(value > 0))
        throw new UsageError(`${where} must be greater than 0, got ${value}.`);
      if (option.min !== undefined && value < option.min)
        throw new UsageError(`${where} must be at least ${option.min}, got ${value}.`);
      return value;
    }
  }
}

function checkPositionals(spec: CommandSpec, positionals: readonly string[]): void {
  const declared = spec.positionals ?? [];
  const required = declared.filter((p) => p.required === true);
  if (positionals.length < required.length) {
    const missing = required[positionals.length]!;
    throw new UsageError(`missing ${missing.name}: ${lowerFirst(missing.description)}`, spec.name);
  }
  const variadic = declared.some((p) => p.variadic === true);
  if (!variadic && positionals.length > declared.length) {
    const extra = positionals[declared.length]!;
    throw new UsageError(
      extra.startsWith("-")
        ? `unknown option ${extra}${didYouMean(extra, optionWords(spec))}.`
        : `unexpected argument ${JSON.stringify(extra)}.`,
      spec.name,
    );
  }
}

function lowerFirst(text: string): string {
  return text.length > 0 ? text[0]!.toLowerCase() + text.slice(1) : text;
}

/** Every option of a command as typed: `--name`, and `-x` for a short alias (for "did you mean"). */
export function optionWords(spec: CommandSpec): string[] {
  return [...spec.options, HELP_OPTION].flatMap((o) => [
    `--${o.name}`,
    ...(o.short === undefined ? [] : [`-${o.short}`]),
  ]);
}

function describeParseError(error: unknown, spec: CommandSpec): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const optionMatch = /'(-[^' ]+)/.exec(message);
  const option = optionMatch?.[1];
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option ?? ""} for 'snn ${spec.name}'${option === undefined ? "" : didYouMean(option, optionWords(spec))}.`.replace(
        "  ",
        " ",
      );
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/argument missing/.test(message)) return `${option ?? "an option"} needs a value.`;
      if (/ambiguous/.test(message))
        return `${option ?? "an option"} needs a value; write a value that starts with '-' as ${option ?? "--option"}=VALUE.`;
      return `${option ?? "an option"} takes no value.`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument in 'snn ${spec.name}'.`;
    default:
      return message.split("\n")[0] ?? message;
  }
}

function optionLabel(option: OptionSpec): string {
  const short = option.short === undefined ? "    " : `-${option.short}, `;
  let value = "";
  if (option.kind === "choice") value = ` ${(option.choices ?? []).join("|")}`;
  else if (option.kind !== "boolean")
    value = ` ${option.valueName ?? (option.kind === "string" ? "VALUE" : "N")}`;
  return `${short}--${option.name}${value}`;
}

/** The one-line usage synopsis of a command (`snn train [options]`). */
export function usageLine(spec: CommandSpec): string {
  const positionals = (spec.positionals ?? []).map((p) => {
    const name = p.variadic === true ? `${p.name}...` : p.name;
    return p.required === true ? name : `[${name}]`;
  });
  return ["Usage: snn", spec.name, "[options]", ...positionals].join(" ");
}

/** Width help text is wrapped to, in columns. */
const HELP_WIDTH = 100;

/** Splits text into lines of at most `width` columns at spaces (longer words stay whole). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line === "") line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** Full `--help` text: usage, description, arguments, options with defaults, examples. */
export function helpText(spec: CommandSpec): string {
  const lines: string[] = [usageLine(spec), "", spec.summary];
  if (spec.description) lines.push("", ...spec.description.split("\n"));
  const positionals = spec.positionals ?? [];
  if (positionals.length > 0) {
    lines.push("", "Arguments:");
    const width = Math.max(...positionals.map((p) => p.name.length)) + 2;
    for (const p of positionals) lines.push(`  ${p.name.padEnd(width)}${p.description}`);
  }
  const options = [...spec.options, HELP_OPTION];
  lines.push("", "Options:");
  const labels = options.map(optionLabel);
  const width = Math.min(Math.max(...labels.map((l) => l.length)) + 2, 40);
  options.forEach((option, i) => {
    const label = labels[i]!;
    const text =
      option.defaultText === undefined
        ? option.description
        : `${option.description} Default: ${option.defaultText}.`;
    const wrapped = wrapText(text, Math.max(30, HELP_WIDTH - width - 2));
    const indent = `  ${" ".repeat(width)}`;
    if (label.length + 2 > width) lines.push(`  ${label}`, ...wrapped.map((l) => indent + l));
    else
      lines.push(
        `  ${label.padEnd(width)}${wrapped[0] ?? ""}`,
        ...wrapped.slice(1).map((l) => indent + l),
      );
  });
  if (spec.examples && spec.examples.length > 0) {
    lines.push("", "Examples:");
    for (const example of spec.examples)
      lines.push(`  # ${example.comment}`, `  ${example.command}`);
  }
  return lines.join("\n");
}
