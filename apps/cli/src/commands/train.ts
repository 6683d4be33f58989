import type { Command } from "../command";
import { CommandError } from "../errors";

export const trainCommand: Command = {
  spec: { name: "train", summary: "(in progress)", options: [] },
  async run() {
    throw new CommandError("not built yet");
  },
};
