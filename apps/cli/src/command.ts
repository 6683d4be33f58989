import type { CommandSpec, ParsedCommand } from "./args";
import type { CliIO } from "./io";

/** A subcommand: its spec (options, help) and what it does. Returns the exit status. */
export interface Command {
  readonly spec: CommandSpec;
  run(parsed: ParsedCommand, io: CliIO): Promise<number>;
}
