/**
 * The e-prop gradient fixture shipped in the @snn/cli package (`fixtures/eprop-gradient.json`):
 * what `snn gradcheck` checks when no FIXTURE is given. This file sits one folder below the
 * package root both as source (src/) and bundled (dist/bin.js), so one relative URL finds it.
 */
import { fileURLToPath } from "node:url";

/** The absolute path of the shipped gradient fixture. */
export function shippedGradientFixture(): string {
  return fileURLToPath(new URL("../fixtures/eprop-gradient.json", import.meta.url));
}
