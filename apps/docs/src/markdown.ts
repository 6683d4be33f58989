// Renders a repository markdown file into the site: headings get GitHub's anchors, and links
// and images that point into the repository are pointed at the site's own pages: a package's
// README at its section of packages.html, another document at doc.html?path=…, an image at
// its asset. Other repository files (sources, data) are named as code, since the site does
// not carry them. A code span that names a document by its repository path
// (`docs/decisions/0008-….md`) links to its page: the published READMEs name documents that
// are not in their tarball that way, since there is no public repository to link to.
import { marked } from "marked";
import { documents, images, readmes } from "./repository";

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
export function slug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** `href` relative to the file at `from`, as a repository path (`packages/eprop/docs/x.md`). */
export function repositoryPath(from: string, href: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of href.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

/** The page of the site that shows a repository markdown file, or null when it shows none. */
export function pageOf(path: string, fragment: string): string | null {
  const readme = readmes.find((r) => `${r.folder}/README.md` === path || r.folder === path);
  if (readme) return `./packages.html#${fragment === "" ? readme.id : `${readme.id}-${fragment}`}`;
  if (documents.has(path))
    return `./doc.html?path=${encodeURIComponent(path)}${fragment === "" ? "" : `#${fragment}`}`;
  return null;
}

/**
 * The page of the site for a code span whose whole text is a repository path (from the
 * repository's root, optionally with `#fragment`) of a README or document the site shows; null
 * for any other code.
 */
export function pageOfCode(text: string): string | null {
  const match = /^((?:docs|packages|apps)\/[\w./-]+?)(?:#([\w-]+))?$/.exec(text.trim());
  if (!match || match[1]!.split("/").includes("..")) return null;
  return pageOf(match[1]!, match[2] ?? "");
}

export interface RenderOptions {
  /** The file's repository path, which its relative links start from. */
  readonly path: string;
  /** Prefix of heading anchors (packages.html holds several READMEs on one page). */
  readonly idPrefix?: string;
}

/** The markdown `text` as HTML inside `container`, with anchors and links made to work on the site. */
export function renderMarkdown(container: HTMLElement, text: string, options: RenderOptions): void {
  container.innerHTML = marked.parse(text, { async: false });
  const prefix = options.idPrefix ?? "";
  const seen = new Map<string, number>();
  for (const heading of container.querySelectorAll<HTMLHeadingElement>("h1, h2, h3, h4, h5, h6")) {
    const base = slug(heading.textContent ?? "");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    heading.id = `${prefix}${count === 0 ? base : `${base}-${count}`}`;
  }
  for (const image of container.querySelectorAll<HTMLImageElement>("img[src]")) {
    const src = image.getAttribute("src")!;
    if (/^[a-z]+:|^\/\//i.test(src)) continue;
    const url = images.get(repositoryPath(options.path, src));
    if (url) image.src = url;
    else
      image.replaceWith(
        Object.assign(document.createElement("code"), {
          textContent: repositoryPath(options.path, src),
          title: "an image of the repository",
        }),
      );
  }
  for (const link of container.querySelectorAll<HTMLAnchorElement>("a[href]")) {
    const href = link.getAttribute("href")!;
    if (/^[a-z]+:|^\/\//i.test(href)) continue;
    if (href.startsWith("#")) {
      link.setAttribute("href", `#${prefix}${href.slice(1)}`);
      continue;
    }
    const [file = "", fragment = ""] = href.split("#");
    const path = repositoryPath(options.path, file);
    const page = pageOf(path, fragment);
    const image = images.get(path);
    if (page) link.setAttribute("href", page);
    else if (image) link.setAttribute("href", image);
    else
      link.replaceWith(
        Object.assign(document.createElement("code"), {
          textContent: path,
          title: "a file of the repository",
        }),
      );
  }
  for (const code of container.querySelectorAll<HTMLElement>("code")) {
    if (code.closest("a, pre")) continue;
    const page = pageOfCode(code.textContent ?? "");
    if (page === null) continue;
    const link = Object.assign(document.createElement("a"), { href: page });
    code.replaceWith(link);
    link.append(code);
  }
}
