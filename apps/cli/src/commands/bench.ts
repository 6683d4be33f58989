import type { Command } from "../command";
import { CommandError } from "../errors";

export const benchCommand: Command = {
  spec: { name: "bench", summary: "(in progress)", options: [] },
  async run() {
    throw new CommandError("not built yet");
  },
};
