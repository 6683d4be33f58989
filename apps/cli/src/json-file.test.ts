import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileSystemError, UsageError } from "./errors";
import { readJsonFile } from "./json-file";

const dir = mkdtempSync(join(tmpdir(), "snn-cli-json-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const invalid = (message: string): Error => new UsageError(message);

describe("readJsonFile", () => {
  it("parses a JSON file", () => {
    writeFileSync(join(dir, "ok.json"), '{"a": [1, 2]}');
    expect(readJsonFile(join(dir, "ok.json"), "ok.json", invalid)).toEqual({ a: [1, 2] });
  });

  it("a folder is a file-system error naming it (exit status 1), not 'not valid JSON'", () => {
    mkdirSync(join(dir, "folder"));
    let thrown: unknown;
    try {
      readJsonFile(join(dir, "folder"), "folder", invalid);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FileSystemError);
    expect((thrown as FileSystemError).message).toBe(
      `cannot read ${join(dir, "folder")}: it is a folder, not a file (EISDIR); give the path of a file.`,
    );
    expect((thrown as FileSystemError).exitCode).toBe(1);
  });

  it("text that is not JSON is the caller's error, naming the file as shown", () => {
    writeFileSync(join(dir, "bad.json"), "{ not json");
    expect(() => readJsonFile(join(dir, "bad.json"), "bad.json", invalid)).toThrow(UsageError);
    expect(() => readJsonFile(join(dir, "bad.json"), "bad.json", invalid)).toThrow(
      /^bad\.json is not valid JSON: /,
    );
  });
});
