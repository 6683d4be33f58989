// Renders the README of every package (imported at build time, so they are the repository's).
import { marked } from "marked";
import backendCpu from "../../../packages/backend-cpu/README.md?raw";
import backendWgsl from "../../../packages/backend-wgsl/README.md?raw";
import bench from "../../../packages/bench/README.md?raw";
import core from "../../../packages/core/README.md?raw";
import datasets from "../../../packages/datasets/README.md?raw";
import eprop from "../../../packages/eprop/README.md?raw";
import pretrained from "../../../packages/pretrained/README.md?raw";
import cli from "../../cli/README.md?raw";

/** id (the anchor), the README's folder in the repository, its text. */
export const readmes: ReadonlyArray<readonly [string, string, string]> = [
  ["core", "packages/core", core],
  ["backend-cpu", "packages/backend-cpu", backendCpu],
  ["backend-wgsl", "packages/backend-wgsl", backendWgsl],
  ["eprop", "packages/eprop", eprop],
  ["datasets", "packages/datasets", datasets],
  ["pretrained", "packages/pretrained", pretrained],
  ["bench", "packages/bench", bench],
  ["cli", "apps/cli", cli],
];

/** A link relative to a README, as a repository path (`packages/eprop/docs/x.md`). */
function repositoryPath(folder: string, href: string): string {
  const parts = folder.split("/");
  for (const part of href.split("#")[0]!.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

const container = document.getElementById("readmes")!;
const nav = document.getElementById("package-nav")!;
for (const [id, folder, text] of readmes) {
  const section = document.createElement("section");
  section.id = id;
  section.className = "readme";
  section.innerHTML = marked.parse(text, { async: false });
  // Links to another package's folder or README go to its section; other files of the
  // repository are named, since this site does not carry them.
  for (const link of section.querySelectorAll<HTMLAnchorElement>("a[href]")) {
    const href = link.getAttribute("href")!;
    if (/^[a-z]+:|^#|^\/\//i.test(href)) continue;
    const path = repositoryPath(folder, href).replace(/\/README\.md$/, "");
    const target = readmes.find(([, dir]) => dir === path);
    if (target) {
      link.href = `#${target[0]}`;
    } else {
      const code = document.createElement("code");
      code.textContent = path;
      code.title = "a file of the repository";
      link.replaceWith(code);
    }
  }
  container.append(section);
  const entry = document.createElement("a");
  entry.href = `#${id}`;
  entry.textContent = id === "cli" ? "snn (CLI)" : `@snn/${id}`;
  nav.append(entry);
}
if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
