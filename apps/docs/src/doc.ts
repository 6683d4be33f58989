// doc.html?path=<repository path>: one of the repository's documents (the e-prop equations,
// the chunked e-prop derivation, the accuracy notes, the design decisions), rendered as on
// GitHub. Without a path (or with an unknown one) it lists them all.
import { firstHeading, documents } from "./repository";
import { renderMarkdown } from "./markdown";
import { watchNavHeight } from "./nav";

watchNavHeight();
const container = document.getElementById("document")!;
const path = new URLSearchParams(location.search).get("path");
const text = path === null ? undefined : documents.get(path);
if (path !== null && text !== undefined) {
  renderMarkdown(container, text, { path });
  document.title = `${firstHeading(text)} — @snn`;
  const source = document.createElement("p");
  source.className = "source-path";
  source.innerHTML = `<code></code> in the repository`;
  source.querySelector("code")!.textContent = path;
  container.prepend(source);
} else {
  if (path !== null) document.body.dataset.missing = path;
  const heading = document.createElement("h1");
  heading.textContent = "Documents";
  const note = document.createElement("p");
  note.textContent =
    path === null
      ? "The repository's documents:"
      : `There is no document ${path}. The repository's documents:`;
  const list = document.createElement("ul");
  for (const [file, body] of [...documents].sort(([a], [b]) => a.localeCompare(b))) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `./doc.html?path=${encodeURIComponent(file)}`;
    link.textContent = firstHeading(body) || file;
    item.append(link, ` (${file})`);
    list.append(item);
  }
  container.replaceChildren(heading, note, list);
}
if (location.hash)
  document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
