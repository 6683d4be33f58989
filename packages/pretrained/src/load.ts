/**
 * Finding and reading the shipped models: in Node from the package's `models/` folder, in a
 * browser by fetching the file's URL (which bundlers such as Vite turn into an asset of the
 * application), or from bytes the caller already has.
 */
import { PretrainedModelError } from "./errors";
import { decodePretrained } from "./format";
import { PretrainedModel } from "./model";

/** The models this package ships. */
export const PRETRAINED_MODELS = ["smnist", "smnist-512"] as const;
export type PretrainedModelName = (typeof PRETRAINED_MODELS)[number];

function checkName(name: string): asserts name is PretrainedModelName {
  if (!(PRETRAINED_MODELS as readonly string[]).includes(name)) {
    throw new PretrainedModelError(
      `There is no pretrained model ${JSON.stringify(name)}; the models are ${PRETRAINED_MODELS.join(", ")}.`,
    );
  }
}

/**
 * The URL of a shipped model file (`models/<name>.safetensors` in this package). Written as
 * `new URL("../models/…", import.meta.url)` with a literal path, so that bundlers emit the
 * file as an asset and rewrite the URL.
 */
export function pretrainedModelUrl(name: PretrainedModelName): URL {
  checkName(name);
  switch (name) {
    case "smnist":
      return new URL("../models/smnist.safetensors", import.meta.url);
    case "smnist-512":
      return new URL("../models/smnist-512.safetensors", import.meta.url);
  }
}

function isNode(): boolean {
  return (
    typeof process === "object" && process !== null && typeof process.versions?.node === "string"
  );
}

async function readFileBytes(path: string, what: string): Promise<Uint8Array> {
  const fs = await import("node:fs/promises");
  try {
    return new Uint8Array(await fs.readFile(path));
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new PretrainedModelError(`Cannot read ${what} '${path}'${code ? ` (${code})` : ""}.`);
  }
}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new PretrainedModelError(
      `Cannot fetch ${what} from ${url}: ${error instanceof Error ? error.message : String(error)}.`,
    );
  }
  if (!response.ok)
    throw new PretrainedModelError(
      `Cannot fetch ${what} from ${url}: HTTP ${response.status} ${response.statusText}.`,
    );
  return new Uint8Array(await response.arrayBuffer());
}

/** Where a model's bytes come from: a file path (Node), a URL, or the bytes themselves. */
export type PretrainedSource = string | URL | Uint8Array | ArrayBuffer;

/** Reads the bytes of a source: `file:` URLs and plain paths from disk in Node, other URLs with `fetch`. */
async function sourceBytes(source: PretrainedSource, what: string): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const url =
    source instanceof URL
      ? source
      : /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || source.startsWith("data:")
        ? new URL(source)
        : null;
  if (url === null) {
    // A plain string: a path in Node, a (relative) URL in a browser.
    return isNode() ? readFileBytes(source as string, what) : fetchBytes(source as string, what);
  }
  if (url.protocol === "file:" && isNode()) {
    const { fileURLToPath } = await import("node:url");
    return readFileBytes(fileURLToPath(url), what);
  }
  return fetchBytes(url.href, what);
}

/**
 * Loads a pretrained model: by default the file this package ships (read from disk in Node,
 * fetched from its URL in a browser); `source` reads it from elsewhere (a path, a URL, or
 * bytes, e.g. a file re-exported from your own run).
 *
 * ```ts
 * const model = await loadPretrained("smnist");
 * const trainer = model.createTrainer(cpuBackend());
 * const { classes } = await trainer.predict(model.batch([pixels]));
 * ```
 */
export async function loadPretrained(
  name: PretrainedModelName,
  options: { readonly source?: PretrainedSource } = {},
): Promise<PretrainedModel> {
  checkName(name);
  const what = `the pretrained model '${name}'`;
  const bytes = await sourceBytes(options.source ?? pretrainedModelUrl(name), what);
  const data = decodePretrained(bytes);
  if (data.metadata.name !== name) {
    throw new PretrainedModelError(
      `The file read as ${what} holds the model '${data.metadata.name}'.`,
    );
  }
  return new PretrainedModel(data);
}
