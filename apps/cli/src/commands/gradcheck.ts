import type { Command } from "../command";
import { CommandError } from "../errors";

export const gradcheckCommand: Command = {
  spec: { name: "gradcheck", summary: "(in progress)", options: [] },
  async run() {
    throw new CommandError("not built yet");
  },
};
