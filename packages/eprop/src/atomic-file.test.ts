import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomically } from "./atomic-file";

describe("writeFileAtomically", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "snn-atomic-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a new file and replaces an old one, leaving no temporary file", async () => {
    const path = join(dir, "model.safetensors");
    await writeFileAtomically(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    await writeFileAtomically(path, new Uint8Array([9]));
    expect([...readFileSync(path)]).toEqual([9]);
    expect(readdirSync(dir)).toEqual(["model.safetensors"]);
  });

  it("keeps the old file and removes the temporary one when the rename fails", async () => {
    // A directory at the path: the temporary file is written, the rename over it is refused.
    const path = join(dir, "taken");
    mkdirSync(path);
    writeFileSync(join(path, "inside"), "old");
    await expect(writeFileAtomically(path, new Uint8Array([1]))).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(["taken"]);
    expect(readFileSync(join(path, "inside"), "utf8")).toBe("old");
  });

  it("fails with the file system's error where the directory does not exist", async () => {
    await expect(
      writeFileAtomically(join(dir, "missing", "x.bin"), new Uint8Array([1])),
    ).rejects.toThrow(/ENOENT/);
  });
});
