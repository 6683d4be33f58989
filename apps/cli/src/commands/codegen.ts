import type { Command } from "../command";
import { CommandError } from "../errors";

export const codegenCommand: Command = {
  spec: { name: "codegen", summary: "(in progress)", options: [] },
  async run() {
    throw new CommandError("not built yet");
  },
};
