/**
 * Packs every public package once for all test files (with scripts/pack.mjs, as `pnpm publish`
 * would pack them) into a fresh folder outside the workspace, and removes it afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { ROOT, runOk } from "./support";

declare module "vitest" {
  export interface ProvidedContext {
    /** The folder the tests install into (outside the workspace). */
    packWork: string;
    /** Package name -> tarball path. */
    tarballs: Record<string, string>;
  }
}

export default function setup(project: TestProject): () => void {
  const work = mkdtempSync(join(tmpdir(), "snn-pack-test-"));
  try {
    const packed = runOk("node", [join(ROOT, "scripts", "pack.mjs"), join(work, "packs")], {
      cwd: ROOT,
      timeoutMs: 240_000,
    });
    project.provide("packWork", work);
    project.provide(
      "tarballs",
      (JSON.parse(packed.stdout) as { packages: Record<string, string> }).packages,
    );
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
  return () => rmSync(work, { recursive: true, force: true });
}
