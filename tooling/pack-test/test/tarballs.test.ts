/**
 * The tarballs of every public package (packed by global-setup.ts as `pnpm publish` would):
 * exactly the public packages, each with the LICENSE, a complete and clean manifest, its entry
 * points, and a README that links only to files it ships.
 */
import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { PUBLIC } from "./expectations";
import { ROOT, rootLicense, run, tarballFiles, tarballText } from "./support";

const work = inject("packWork");
const tarballs = inject("tarballs");

function workspaceManifest(folder: string): {
  name: string;
  private?: boolean;
  devDependencies?: Record<string, string>;
} {
  return JSON.parse(readFileSync(join(ROOT, folder, "package.json"), "utf8"));
}

describe("the tarballs", () => {
  it("are exactly the public packages: private ones are never packed", () => {
    expect(Object.keys(tarballs).sort()).toEqual([...PUBLIC].sort());
    const mine = workspaceManifest("tooling/pack-test");
    for (const name of PUBLIC)
      expect(
        Object.keys(mine.devDependencies ?? {}),
        `${name} must be a devDependency of @snn/pack-test so turbo builds it first`,
      ).toContain(name);
    const refused = run("pnpm", ["pack", "--pack-destination", join(work, "refused")], {
      cwd: join(ROOT, "packages", "conformance"),
    });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr + refused.stdout).toMatch(
      /@snn\/conformance is private: it is never packed or published/,
    );
  });

  it("carry the LICENSE, a complete manifest and no workspace-only fields", () => {
    const license = rootLicense();
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the @snn contributors\n/);
    for (const [name, tarball] of Object.entries(tarballs)) {
      const files = tarballFiles(tarball);
      expect(files, name).toContain("LICENSE");
      expect(tarballText(tarball, "LICENSE"), `${name}'s LICENSE`).toBe(license);
      expect(files, name).toContain("README.md");
      const manifest = JSON.parse(tarballText(tarball, "package.json")) as Record<string, unknown>;
      expect(manifest["license"], name).toBe("MIT");
      // The sweep's trainers use `node --import` (Node 20.6+); everything else runs on any Node 20.
      expect(manifest["engines"], name).toEqual({
        node: name === "@snn/sweep" || name === "@snn/cli" ? ">=20.6" : ">=20",
      });
      expect(
        (manifest["keywords"] as string[] | undefined)?.length ?? 0,
        `${name} keywords`,
      ).toBeGreaterThan(2);
      expect(manifest["repository"], name).toMatchObject({
        type: "git",
        url: expect.stringMatching(/^git\+https:\/\//),
        directory: expect.stringMatching(/^(packages|apps)\//),
      });
      expect(manifest["homepage"], name).toMatch(/^https:\/\//);
      expect(manifest["scripts"], `${name} ships no scripts`).toBeUndefined();
      expect(manifest["devDependencies"], `${name} ships no devDependencies`).toBeUndefined();
      expect(JSON.stringify(manifest), `${name}: workspace: ranges are rewritten`).not.toMatch(
        /workspace:/,
      );
      // Every entry point the manifest names is in the tarball.
      const entries = [
        manifest["main"],
        manifest["types"],
        ...Object.values((manifest["bin"] as Record<string, string>) ?? {}),
      ];
      const exports = (manifest["exports"] ?? {}) as Record<string, unknown>;
      for (const target of Object.values(exports))
        entries.push(
          ...(typeof target === "string"
            ? [target]
            : Object.values(target as Record<string, string>)),
        );
      for (const entry of entries) {
        if (typeof entry !== "string" || entry.includes("*")) continue;
        expect(files, `${name}: ${entry}`).toContain(posix.normalize(entry));
      }
    }
  });

  it("have READMEs whose relative links point at files in the same tarball", () => {
    for (const [name, tarball] of Object.entries(tarballs)) {
      const files = new Set(tarballFiles(tarball));
      const readme = tarballText(tarball, "README.md");
      for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!) || target!.startsWith("#")) continue;
        const path = posix.normalize(target!.split("#")[0]!);
        expect(
          files.has(path) || [...files].some((f) => f.startsWith(`${path}/`)),
          `${name}'s README links to ${target}, which is not in its tarball`,
        ).toBe(true);
      }
    }
    expect(tarballText(tarballs["@snn/cli"]!, "README.md")).not.toMatch(/test-data/);
  });
});
