import type { Command } from "../command";
import { CommandError } from "../errors";

export const evaluateCommand: Command = {
  spec: { name: "evaluate", summary: "(in progress)", options: [] },
  async run() {
    throw new CommandError("not built yet");
  },
};
