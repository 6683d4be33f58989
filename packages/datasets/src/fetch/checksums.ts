import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** The hex digest of a file's content (`md5`, `sha256`), read as a stream. */
export async function hashFile(path: string, algorithm: "md5" | "sha256"): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Parses an `md5sum` listing (`<32 hex digits>  <name>` or `<hex> *<name>` per line) into a map
 * from file name to lower-case digest. Lines that are not such entries are skipped.
 */
export function parseChecksumList(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([0-9a-fA-F]{32})\s+\*?(\S.*?)\s*$/.exec(line);
    if (match) entries.set(match[2]!.replace(/^\.\//, ""), match[1]!.toLowerCase());
  }
  return entries;
}
