import type { Command } from "../command";
import { CommandError } from "../errors";

export const inferCommand: Command = {
  spec: { name: "infer", summary: "(in progress)", options: [] },
  async run() {
    throw new CommandError("not built yet");
  },
};
