// What the site shows of the repository, checked in Node from the sources (the browser test
// checks the built site): every published package has its README and API reference on the
// site; no README or document links to the repository's URL, which is a placeholder (there is
// no public repository); and every document a README names by its path becomes a link there.
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { pageOfCode } from "../src/markdown";
import { documents, readmes } from "../src/repository";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const site = resolve(dirname(fileURLToPath(import.meta.url)), "..");

interface Manifest {
  name: string;
  private?: boolean;
  exports?: Record<string, unknown>;
  homepage?: string;
  repository?: { url?: string };
  bugs?: { url?: string };
}

function manifest(folder: string): Manifest {
  return JSON.parse(readFileSync(join(root, folder, "package.json"), "utf8")) as Manifest;
}

/** Folders (from the root) of the published packages: every workspace package not `private`. */
function publishedFolders(): string[] {
  const folders: string[] = [];
  for (const group of ["packages", "apps", "tooling"]) {
    for (const entry of readdirSync(join(root, group)).sort()) {
      const folder = `${group}/${entry}`;
      if (!existsSync(join(root, folder, "package.json"))) continue;
      if (manifest(folder).private !== true) folders.push(folder);
    }
  }
  return folders;
}

/** Folders of dependencies, build output and runs (.gitignore), which are not the repository's. */
const IGNORED = new Set([
  "node_modules",
  "dist",
  "coverage",
  "runs",
  "__pycache__",
  ".git",
  ".turbo",
  ".packs",
  ".snn-tmp",
  ".gl",
  ".gpu-check",
]);

/** Markdown and HTML files of the repository. */
function textFiles(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (IGNORED.has(entry)) continue;
    const path = join(dir, entry);
    const stat = lstatSync(path, { throwIfNoEntry: false }); // undefined: removed meanwhile
    if (stat?.isDirectory()) textFiles(path, found);
    else if (stat?.isFile() && /\.(md|html)$/.test(entry)) found.push(path);
  }
  return found;
}

/** `code` spans of a markdown text, outside fenced blocks and link texts. */
function codeSpans(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/\[[^\]]*\]\([^)]*\)/g, "");
  return [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
}

describe("the site's view of the repository", () => {
  it("shows every published package's README, with its API reference where it has a library", () => {
    const typedoc = JSON.parse(readFileSync(join(site, "typedoc.json"), "utf8")) as {
      entryPoints: string[];
    };
    const index = readFileSync(join(site, "index.html"), "utf8");
    const folders = publishedFolders();
    expect(folders).toContain("packages/core");
    for (const folder of folders) {
      const readme = readmes.find((r) => r.folder === folder);
      expect(readme, `${folder} has no README on packages.html (src/repository.ts)`).toBeDefined();
      expect(readme!.text).toBe(readFileSync(join(root, folder, "README.md"), "utf8"));
      expect(index, `index.html links to ${folder}`).toContain(`./packages.html#${readme!.id}`);
      if (manifest(folder).exports?.["."] === undefined) continue; // the CLI: a command, no library
      expect(readme!.api, `${folder}'s API reference link`).toBeDefined();
      expect(typedoc.entryPoints, `typedoc.json documents ${folder}`).toContain(`../../${folder}`);
    }
  });

  it("has no link to the repository URL of package.json, a placeholder while there is no public repository", () => {
    const rootManifest = manifest(".");
    const urls = [rootManifest.homepage, rootManifest.repository?.url, rootManifest.bugs?.url];
    // The one place that names it; .pnpmfile.cjs copies it into the tarballs' manifests.
    expect(urls.every((url) => typeof url === "string")).toBe(true);
    const repository = new URL(rootManifest.homepage!);
    const named = `${repository.host}${repository.pathname.replace(/\/$/, "")}`;
    const files = textFiles(root);
    expect(files.map((f) => relative(root, f))).toEqual(
      expect.arrayContaining(["README.md", "apps/cli/README.md", "apps/docs/index.html"]),
    );
    const linking = files.filter((file) => readFileSync(file, "utf8").includes(named));
    expect(
      linking.map((f) => relative(root, f)),
      `these files name ${named}: name a repository file by its path instead`,
    ).toEqual([]);
  });

  it("links a document that a README or document names by its repository path to its page", () => {
    expect(pageOfCode("docs/decisions/0008-publishing-esm-require-and-optional-parts.md")).toBe(
      "./doc.html?path=docs%2Fdecisions%2F0008-publishing-esm-require-and-optional-parts.md",
    );
    expect(pageOfCode("packages/eprop/docs/accuracy.md#the-long-run")).toBe(
      "./doc.html?path=packages%2Feprop%2Fdocs%2Faccuracy.md#the-long-run",
    );
    expect(pageOfCode("packages/datasets/README.md")).toBe("./packages.html#datasets");
    // files the site does not show, and code that is not a path, stay code
    expect(pageOfCode("packages/datasets/test-data/")).toBeNull();
    expect(pageOfCode("docs/decisions/9999-none.md")).toBeNull();
    expect(pageOfCode("docs/../README.md")).toBeNull();
    expect(pageOfCode("--data")).toBeNull();
    // Every markdown path a README or document names is one the site shows.
    const texts = [...readmes.map((r) => [`${r.folder}/README.md`, r.text] as const), ...documents];
    const named: string[] = [];
    for (const [file, text] of texts) {
      for (const span of codeSpans(text)) {
        // (a package's own `docs/x.md` is a path in its folder, not one from the root)
        if (!/^(docs\/decisions|packages|apps)\/\S+\.md(#\S*)?$/.test(span)) continue;
        named.push(span);
        expect(pageOfCode(span), `${file} names ${span}, which the site does not show`).not.toBe(
          null,
        );
      }
    }
    expect(named).toEqual(
      expect.arrayContaining([
        "docs/decisions/0001-timestep-semantics.md",
        "docs/decisions/0007-sweeps-on-bullmq.md",
        "docs/decisions/0008-publishing-esm-require-and-optional-parts.md",
        "packages/eprop/docs/accuracy.md",
      ]),
    );
  });
});
