import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";

/** What was written: the unpacked file's size and SHA-256. */
export interface UnpackedFile {
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Unpacks a gzip file (or copies a plain one, `gzip: false`) to `target` atomically: into a
 * temporary file beside it, flushed to disk, then renamed over `target`. Returns the size and
 * SHA-256 of what was written; on failure nothing is left at `target` or beside it.
 * `onBytes` receives the count of compressed bytes read so far.
 */
export async function unpackAtomically(
  source: string,
  target: string,
  options: {
    readonly gzip: boolean;
    readonly onBytes?: (bytesRead: number) => void;
    readonly signal?: AbortSignal | undefined;
  },
): Promise<UnpackedFile> {
  const temp = `${target}.${process.pid}.tmp`;
  const hash = createHash("sha256");
  let bytes = 0;
  let read = 0;
  const input = createReadStream(source);
  input.on("data", (chunk) => {
    read += chunk.length;
    options.onBytes?.(read);
  });
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    const stages: NodeJS.ReadWriteStream[] = options.gzip ? [createGunzip(), measure] : [measure];
    await pipeline(
      [input, ...stages, createWriteStream(temp)],
      options.signal ? { signal: options.signal } : {},
    );
    const handle = await open(temp, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return { bytes, sha256: hash.digest("hex") };
}
