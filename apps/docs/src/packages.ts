// packages.html: the README of every package (imported at build time, so they are the
// repository's), each with a link to its generated API reference.
import { renderMarkdown } from "./markdown";
import { watchNavHeight } from "./nav";
import { readmes } from "./repository";

watchNavHeight();
const container = document.getElementById("readmes")!;
const nav = document.getElementById("package-nav")!;
for (const { id, folder, text, api } of readmes) {
  const section = document.createElement("section");
  section.id = id;
  section.className = "readme";
  renderMarkdown(section, text, { path: `${folder}/README.md`, idPrefix: `${id}-` });
  if (api) {
    const reference = document.createElement("p");
    reference.className = "api-link";
    reference.innerHTML = `<a href="./${api}">API reference</a> (every export with its documentation, generated from the source)`;
    section.querySelector("h1")?.after(reference);
  }
  container.append(section);
  const entry = document.createElement("a");
  entry.href = `#${id}`;
  entry.textContent = id === "cli" ? "snn (CLI)" : `@snn/${id}`;
  nav.append(entry);
}
if (location.hash)
  document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
