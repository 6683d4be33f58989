/**
 * Atomic file writes (Node only): what checkpoints and exported model files are saved with, so
 * that a crash or a full disk never leaves a half-written file at the path.
 */

/**
 * Writes `bytes` to `path` atomically: to a temporary file in the same directory, flushed to
 * disk, then renamed over `path`. On failure the temporary file is removed and `path` keeps its
 * old content (or stays absent). Node only: it throws where `node:fs` cannot be loaded.
 */
export async function writeFileAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const fs = await import("node:fs/promises");
  const nodePath = await import("node:path");
  const temporary = nodePath.join(
    nodePath.dirname(path),
    `.${nodePath.basename(path)}.${process.pid}.${Date.now()}.tmp`,
  );
  const handle = await fs.open(temporary, "w");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temporary, path);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}
