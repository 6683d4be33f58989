import { describe, expect, it } from "vitest";
import { helpText, parseCommand, usageLine, wrapText, type CommandSpec } from "./args";
import { UsageError } from "./errors";

const spec: CommandSpec = {
  name: "demo",
  summary: "A demo command.",
  positionals: [{ name: "FILE", description: "The input file.", required: true }],
  options: [
    { name: "count", kind: "integer", positive: true, valueName: "N", description: "How many." },
    { name: "rate", kind: "number", min: 0, description: "A rate." },
    { name: "mode", kind: "choice", choices: ["a", "b"], description: "The mode." },
    { name: "json", kind: "boolean", description: "JSON output." },
    {
      name: "out",
      short: "o",
      kind: "string",
      valueName: "DIR",
      description: "Where.",
      defaultText: "here",
    },
  ],
  examples: [{ comment: "Count to three", command: "snn demo x --count 3" }],
};

function usageError(argv: string[]): UsageError {
  try {
    parseCommand(spec, argv);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error("expected a UsageError");
}

describe("parseCommand", () => {
  it("converts values by kind", () => {
    const parsed = parseCommand(spec, [
      "f.txt",
      "--count",
      "3",
      "--rate=0.5",
      "--mode",
      "b",
      "--json",
      "-o",
      "d",
    ]);
    expect(parsed.positionals).toEqual(["f.txt"]);
    expect(parsed.values).toEqual({ count: 3, rate: 0.5, mode: "b", json: true, out: "d" });
    expect(parsed.help).toBe(false);
  });

  it("leaves options that were not given undefined", () => {
    expect(parseCommand(spec, ["f"]).values).toEqual({});
  });

  it.each([
    [["f", "--count", "x"], /--count must be a number/],
    [["f", "--count", "1.5"], /--count must be a whole number/],
    [["f", "--count", "0"], /--count must be greater than 0/],
    [["f", "--rate=-1"], /--rate must be at least 0/],
    [
      ["f", "--rate", "-1"],
      /--rate needs a value; write a value that starts with '-' as --rate=VALUE/,
    ],
    [["f", "--mode", "c"], /--mode must be one of a, b/],
    [["f", "--nope"], /unknown option --nope/],
    [["f", "--count"], /--count needs a value/],
    [["f", "--json=yes"], /--json takes no value/],
    [[], /missing FILE/],
    [["f", "g"], /unexpected argument "g"/],
  ])("rejects %j", (argv, message) => {
    const error = usageError(argv);
    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(2);
    expect(error.message).not.toContain("\n");
  });

  it("accepts --help without checking the rest", () => {
    expect(parseCommand(spec, ["--help"]).help).toBe(true);
    expect(parseCommand(spec, ["-h", "--count", "x"]).help).toBe(true);
  });
});

describe("help", () => {
  it("lists usage, options with defaults and examples", () => {
    const text = helpText(spec);
    expect(text.split("\n")[0]).toBe(usageLine(spec));
    expect(usageLine(spec)).toBe("Usage: snn demo [options] FILE");
    expect(text).toContain("--mode a|b");
    expect(text).toContain("-o, --out DIR");
    expect(text).toContain("Default: here.");
    expect(text).toContain("snn demo x --count 3");
    expect(text).toContain("--help");
  });

  it("wraps long text at word boundaries", () => {
    expect(wrapText("aa bb cc dd", 5)).toEqual(["aa bb", "cc dd"]);
    expect(wrapText("averyveryverylongword x", 5)).toEqual(["averyveryverylongword", "x"]);
  });
});
