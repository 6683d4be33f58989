import { describe, expect, it } from "vitest";
import { parseCommand, type CommandSpec } from "./args";
import { UsageError } from "./errors";
import { closestMatch, editDistance, unknownCommandMessage } from "./suggest";

const COMMANDS = [
  "train",
  "evaluate",
  "infer",
  "data info",
  "data fetch",
  "codegen",
  "gradcheck",
  "bench",
];

function usageMessage(spec: CommandSpec, argv: string[]): string {
  try {
    parseCommand(spec, argv);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`no usage error for ${argv.join(" ")}`);
}

describe("editDistance", () => {
  it("counts insertions, deletions, substitutions and neighbour swaps as one edit each", () => {
    expect(editDistance("train", "train")).toBe(0);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("abc", "")).toBe(3);
    expect(editDistance("epoch", "epochs")).toBe(1);
    expect(editDistance("hiden", "hidden")).toBe(1);
    expect(editDistance("trian", "train")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("ca", "abc")).toBe(3);
  });
});

describe("closestMatch", () => {
  it("finds near misses, case slips and unique prefixes, and nothing for unrelated words", () => {
    expect(closestMatch("--epoch", ["--epochs", "--hidden"])).toBe("--epochs");
    expect(closestMatch("--Hidden", ["--epochs", "--hidden"])).toBe("--hidden");
    expect(closestMatch("evalute", ["train", "evaluate"])).toBe("evaluate");
    expect(closestMatch("--batch", ["--batch-size", "--backend"])).toBe("--batch-size");
    expect(closestMatch("frobnicate", ["train", "evaluate"])).toBeUndefined();
    expect(closestMatch("-x", ["-h", "-o"])).toBeUndefined();
    expect(closestMatch("--b", ["--batch-size", "--backend"])).toBeUndefined();
  });
});

describe("did you mean in usage errors", () => {
  const spec: CommandSpec = {
    name: "train",
    summary: "t",
    options: [
      { name: "epochs", kind: "integer", description: "e" },
      { name: "batch-size", kind: "integer", description: "b" },
      { name: "dataset", kind: "choice", choices: ["smnist", "shd", "ssc"], description: "d" },
    ],
  };

  it("suggests the option for a mistyped one, also with =VALUE, and none for a stranger", () => {
    expect(usageMessage(spec, ["--epoch", "3"])).toBe(
      "unknown option --epoch for 'snn train' (did you mean '--epochs'?).",
    );
    expect(usageMessage(spec, ["--bach-size=4"])).toMatch(/did you mean '--batch-size'\?/);
    expect(usageMessage(spec, ["--colour", "red"])).toBe(
      "unknown option --colour for 'snn train'.",
    );
  });

  it("suggests a choice for a mistyped value", () => {
    expect(usageMessage(spec, ["--dataset", "shdd"])).toBe(
      "--dataset must be one of smnist, shd, ssc; got \"shdd\" (did you mean 'shd'?).",
    );
  });

  it("suggests commands and subcommands", () => {
    expect(unknownCommandMessage(["trian"], COMMANDS)).toBe(
      "unknown command 'trian' (did you mean 'train'?).",
    );
    expect(unknownCommandMessage(["frobnicate"], COMMANDS)).toBe("unknown command 'frobnicate'.");
    expect(unknownCommandMessage(["data", "fecth", "shd"], COMMANDS)).toBe(
      "unknown subcommand 'data fecth' (did you mean 'fetch'?); the data subcommands are: info, fetch.",
    );
    expect(unknownCommandMessage(["data"], COMMANDS)).toBe(
      "'snn data' needs a subcommand: info, fetch.",
    );
    expect(unknownCommandMessage(["--hepl"], COMMANDS)).toBe(
      "unknown option --hepl (did you mean '--help'?); give a command first.",
    );
  });
});
