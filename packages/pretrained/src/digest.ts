/**
 * SHA-256 of a set of images and labels, as a model file's subset definition records it: the
 * pixels (`count * rows * cols` bytes) followed by the labels (`count` bytes), in hex. Uses the
 * Web Crypto API (`globalThis.crypto.subtle`, in Node 20 and browsers).
 */
export async function imagesSha256(pixels: Uint8Array, labels: Uint8Array): Promise<string> {
  const joined = new Uint8Array(pixels.length + labels.length);
  joined.set(pixels, 0);
  joined.set(labels, pixels.length);
  const digest = await globalThis.crypto.subtle.digest("SHA-256", joined);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
