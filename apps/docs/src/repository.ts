// The repository files the site shows, imported at build time (so the site's text is the
// repository's): every package README, the documents beside the packages (packages/*/docs,
// apps/cli/docs) and the design decisions (docs/decisions), and the images they show.
import backendCpu from "../../../packages/backend-cpu/README.md?raw";
import backendWgsl from "../../../packages/backend-wgsl/README.md?raw";
import bench from "../../../packages/bench/README.md?raw";
import core from "../../../packages/core/README.md?raw";
import datasets from "../../../packages/datasets/README.md?raw";
import eprop from "../../../packages/eprop/README.md?raw";
import plot from "../../../packages/plot/README.md?raw";
import pretrained from "../../../packages/pretrained/README.md?raw";
import sweep from "../../../packages/sweep/README.md?raw";
import cli from "../../cli/README.md?raw";

/** A published package's README: its anchor on packages.html, its folder, its text, its API page. */
export interface Readme {
  readonly id: string;
  readonly folder: string;
  readonly text: string;
  /** The package's page of the generated API reference (under api/), if it has a library API. */
  readonly api?: string;
}

/**
 * TypeDoc names a package's page after the package: `@snn/core` becomes `modules/_snn_core.html`.
 * (The browser test follows every one of these links.)
 */
function apiPage(name: string): string {
  return `api/modules/${name.replace(/[@/]/g, "_").toLowerCase()}.html`;
}

export const readmes: readonly Readme[] = [
  { id: "core", folder: "packages/core", text: core, api: apiPage("@snn/core") },
  {
    id: "backend-cpu",
    folder: "packages/backend-cpu",
    text: backendCpu,
    api: apiPage("@snn/backend-cpu"),
  },
  {
    id: "backend-wgsl",
    folder: "packages/backend-wgsl",
    text: backendWgsl,
    api: apiPage("@snn/backend-wgsl"),
  },
  { id: "eprop", folder: "packages/eprop", text: eprop, api: apiPage("@snn/eprop") },
  { id: "datasets", folder: "packages/datasets", text: datasets, api: apiPage("@snn/datasets") },
  {
    id: "pretrained",
    folder: "packages/pretrained",
    text: pretrained,
    api: apiPage("@snn/pretrained"),
  },
  { id: "plot", folder: "packages/plot", text: plot, api: apiPage("@snn/plot") },
  { id: "bench", folder: "packages/bench", text: bench, api: apiPage("@snn/bench") },
  { id: "sweep", folder: "packages/sweep", text: sweep, api: apiPage("@snn/sweep") },
  { id: "cli", folder: "apps/cli", text: cli },
];

function byRepositoryPath<T>(modules: Record<string, T>): Map<string, T> {
  // glob keys are relative to this file: ../../../packages/eprop/docs/x.md
  return new Map(
    Object.entries(modules).map(([key, value]) => [
      key.replace(/^(\.\.\/)+/, "").replace(/^cli\//, "apps/cli/"),
      value,
    ]),
  );
}

/** The documents, by repository path (`packages/eprop/docs/equations.md`). */
export const documents: ReadonlyMap<string, string> = byRepositoryPath(
  import.meta.glob<string>(
    ["../../../packages/*/docs/**/*.md", "../../cli/docs/**/*.md", "../../../docs/decisions/*.md"],
    {
      query: "?raw",
      import: "default",
      eager: true,
    },
  ),
);

/** Images the READMEs and documents show, by repository path, as URLs of the built site. */
export const images: ReadonlyMap<string, string> = byRepositoryPath(
  import.meta.glob<string>(
    ["../../../packages/*/docs/**/*.{svg,png}", "../../cli/docs/**/*.{svg,png}"],
    {
      query: "?url",
      import: "default",
      eager: true,
    },
  ),
);

/** The first heading of a markdown text, for a page title. */
export function firstHeading(text: string): string {
  return /^#\s+(.+)$/m.exec(text)?.[1]?.replace(/`/g, "") ?? "";
}
