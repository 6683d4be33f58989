// The docs site: four pages (the examples, the package READMEs, getting started, the
// repository's documents; the API reference is TypeDoc's, built after Vite: see package.json),
// the examples' worker as an ES module, relative URLs (so the built site works from any folder).
// The @snn packages resolve through their package.json exports to their built dist/ (turbo builds them first), as an application using them would.
import { resolve } from "node:path";
import { defineConfig } from "vite";

// Cross-origin isolation (SharedArrayBuffer): e-prop's chunked traces then run in a second
// worker beside the training worker's forward pass. A host serving the built site should send
// the same two headers; without them the traces run inline, a little slower.
const isolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  base: "./",
  build: {
    target: "es2022",
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, "index.html"),
        packages: resolve(import.meta.dirname, "packages.html"),
        gettingStarted: resolve(import.meta.dirname, "getting-started.html"),
        doc: resolve(import.meta.dirname, "doc.html"),
      },
    },
  },
  worker: { format: "es" },
  server: { host: "127.0.0.1", headers: isolation },
  preview: { host: "127.0.0.1", headers: isolation },
});
