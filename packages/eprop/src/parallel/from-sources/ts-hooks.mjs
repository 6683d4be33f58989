// Module hooks that let a worker thread of a test import the TypeScript sources, as vitest does
// for the tests themselves: `@snn/<package>` resolves to the package's src/index.ts, extensionless
// relative imports to their .ts files, and .ts files are transpiled with TypeScript (types
// dropped, nothing checked). Registered by train-worker.mjs beside it. Transpiled files are
// cached in the system's temporary folder (by path, size and time of change), so that only
// the first worker of a test run pays for TypeScript.
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve as resolvePath } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolvePath(dirname(fileURLToPath(import.meta.url)), "../../../../..");
const cache = join(tmpdir(), "snn-eprop-test-worker-cache");
let ts;

const packages = new Map();
for (const group of ["packages", "apps"]) {
  const dir = join(root, group);
  for (const name of readdirSync(dir)) {
    const manifest = join(dir, name, "package.json");
    const source = join(dir, name, "src", "index.ts");
    if (!existsSync(manifest) || !existsSync(source)) continue;
    packages.set(JSON.parse(readFileSync(manifest, "utf8")).name, pathToFileURL(source).href);
  }
}

function isFile(path) {
  return existsSync(path) && statSync(path).isFile();
}

export async function resolve(specifier, context, next) {
  const own = packages.get(specifier);
  if (own !== undefined) return { url: own, shortCircuit: true };
  if (
    (specifier.startsWith("./") || specifier.startsWith("../")) &&
    context.parentURL?.endsWith(".ts")
  ) {
    const path = fileURLToPath(new URL(specifier, context.parentURL));
    for (const candidate of [
      path,
      `${path}.ts`,
      join(path, "index.ts"),
      path.replace(/\.js$/, ".ts"),
    ])
      if (isFile(candidate)) return { url: pathToFileURL(candidate).href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return next(url, context);
  const fileName = fileURLToPath(url);
  const { size, mtimeMs } = statSync(fileName);
  const key = createHash("sha1").update(`${fileName}:${size}:${mtimeMs}`).digest("hex");
  const cached = join(cache, `${key}.js`);
  if (existsSync(cached))
    return { format: "module", source: readFileSync(cached, "utf8"), shortCircuit: true };
  ts ??= createRequire(import.meta.url)("typescript");
  const { outputText } = ts.transpileModule(readFileSync(fileName, "utf8"), {
    fileName,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      inlineSourceMap: true,
    },
  });
  mkdirSync(cache, { recursive: true });
  const temporary = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(temporary, outputText);
  renameSync(temporary, cached);
  return { format: "module", source: outputText, shortCircuit: true };
}
